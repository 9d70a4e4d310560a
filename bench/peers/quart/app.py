"""The Quart peer of bench/compare: Portcullis's benchmarked routes written with the patterns
of the Quart guide (app factory, blueprints, quart-schema validation, a database connection
per request, JSON errors), served by Hypercorn:

    PEER_DATABASE=/tmp/peer.db hypercorn --workers 2 --worker-class uvloop app:app
"""
import asyncio, base64, contextlib, datetime, hashlib, os, secrets, sqlite3, uuid

import aiosqlite, jwt
from pydantic import BaseModel, Field
from quart import Blueprint, Quart, websocket
from quart_schema import QuartSchema, RequestSchemaValidationError, validate_request

DATABASE = os.environ.get("PEER_DATABASE", "peer.db")
SECRET = "bench-only-secret-bench-only-secret"


class NewUser(BaseModel):
    username: str = Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8, max_length=128)
    bio: str | None = Field(default=None, max_length=500)


class Login(BaseModel):
    username: str
    password: str


def scrypt(password, salt):
    return hashlib.scrypt(password.encode(), salt=salt, n=1 << 15, r=8, p=1, maxmem=64 << 20, dklen=32)


async def hash_password(password):
    salt = secrets.token_bytes(16)
    key = await asyncio.to_thread(scrypt, password, salt)
    return base64.b64encode(salt).decode() + "$" + base64.b64encode(key).decode()


async def verify_password(password, stored):
    if stored is None:
        await hash_password(password)
        return False
    salt, key = (base64.b64decode(part) for part in stored.split("$"))
    return secrets.compare_digest(await asyncio.to_thread(scrypt, password, salt), key)


@contextlib.asynccontextmanager
async def connect():
    """A database connection for one unit of work."""
    async with aiosqlite.connect(DATABASE) as db:
        db.row_factory = aiosqlite.Row
        yield db


health_bp = Blueprint("health", __name__)
users_bp = Blueprint("users", __name__, url_prefix="/users")
auth_bp = Blueprint("auth", __name__, url_prefix="/auth")
ws_bp = Blueprint("websocket", __name__, url_prefix="/ws")


@health_bp.route("/healthz")
async def healthz():
    return {"status": "ok"}


def user_json(row):
    return {key: row[key] for key in ("id", "username", "email", "bio", "created_at")}


@users_bp.route("/<int:user_id>")
async def get_user(user_id):
    async with connect() as db:
        async with db.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
    if row is None:
        return {"error": "NotFound", "message": "No user has this id."}, 404
    return user_json(row)


@users_bp.route("", methods=["POST"])
@validate_request(NewUser)
async def create_user(data: NewUser):
    password_hash = await hash_password(data.password)
    created_at = datetime.datetime.now(datetime.timezone.utc).isoformat()
    async with connect() as db:
        cursor = await db.execute(
            "INSERT INTO users (username, email, password_hash, bio, created_at) VALUES (?, ?, ?, ?, ?)",
            (data.username.lower(), data.email, password_hash, data.bio, created_at))
        await db.commit()
        user_id = cursor.lastrowid
    return {"id": user_id, "username": data.username.lower(), "email": data.email, "bio": data.bio,
            "created_at": created_at}, 201


@auth_bp.route("/login", methods=["POST"])
@validate_request(Login)
async def login(data: Login):
    async with connect() as db:
        async with db.execute("SELECT id, password_hash FROM users WHERE username = ?",
                              (data.username.lower(),)) as cursor:
            row = await cursor.fetchone()
    if not await verify_password(data.password, row["password_hash"] if row else None) or row is None:
        return {"error": "Unauthorized", "message": "The username or password is wrong."}, 401
    now = datetime.datetime.now(datetime.timezone.utc)
    token = jwt.encode({"sub": str(row["id"]), "iat": now, "exp": now + datetime.timedelta(seconds=900),
                        "iss": "portcullis", "aud": "portcullis-api", "jti": str(uuid.uuid4())}, SECRET, "HS256")
    return {"access_token": token, "token_type": "bearer", "expires_in": 900}


@ws_bp.websocket("/echo")
async def echo():
    while True:
        message = await websocket.receive()
        await websocket.send(f"Echo: {message}")


def create_app():
    app = Quart(__name__)
    QuartSchema(app)
    for blueprint in (health_bp, users_bp, auth_bp, ws_bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(RequestSchemaValidationError)
    async def invalid(error):
        details = {".".join(map(str, problem["loc"])): problem["msg"] for problem in error.validation_error.errors()}
        return {"error": "ValidationError", "message": "The request body is invalid.", "details": details}, 422

    @app.before_serving
    async def create_tables():
        # Both workers run this at once, and SQLite can refuse one "database is locked" without
        # waiting (switching the journal mode skips the busy timeout): that worker tries again.
        for attempt in range(50):
            try:
                async with connect() as db:
                    await db.execute("PRAGMA journal_mode = WAL")
                    await db.execute("""CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT,
                        username TEXT NOT NULL UNIQUE, email TEXT NOT NULL, password_hash TEXT NOT NULL, bio TEXT,
                        created_at TEXT NOT NULL)""")
                    await db.commit()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 49:
                    raise
                await asyncio.sleep(0.1)

    return app


app = create_app()
