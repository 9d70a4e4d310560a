import Foundation

/// The checks only the production profile makes: secrets, CORS, TLS files, the database, file modes.
enum ProductionChecks {
    static let minimumSecretBytes = 32
    /// Different characters a secret must hold: 32 bytes of one or two characters repeated
    /// are long enough and no secret at all. Random secrets (`head -c 48 /dev/urandom | base64`,
    /// what the package generates) hold dozens.
    static let minimumSecretVariety = 8

    static func run(_ settings: ResolvedSettings, sourceFiles: [ConfigLayer: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func problem<V>(_ setting: Setting<V>, _ message: String) {
            let layer = settings.entry(setting)?.layer ?? .default
            problems.append(ConfigProblem(.error, key: setting.key, layer: layer, message))
        }

        for setting in [Settings.secretKey, Settings.jwtSecretKey] {
            let value = settings[setting]
            if value.isEmpty {
                problem(setting, "is missing; set \(setting.environmentName) (at least \(minimumSecretBytes) random bytes)")
            } else if value.hasPrefix(Settings.developmentSecretPrefix) {
                problem(setting, "is the development default; set a random secret of at least \(minimumSecretBytes) bytes")
            } else if value.utf8.count < minimumSecretBytes {
                problem(setting, "is \(value.utf8.count) bytes long; it must be at least \(minimumSecretBytes)")
            } else if Set(value.utf8).count < minimumSecretVariety {
                problem(setting, "has only \(Set(value.utf8).count) different characters; use a random secret (head -c 48 /dev/urandom | base64)")
            }
        }

        let keyFile = settings[Settings.tlsKeyFile]
        if !keyFile.isEmpty, isReadableByOthers(keyFile) {
            problem(Settings.tlsKeyFile, "\(keyFile) can be read by other users; run chmod o-r \(keyFile)")
        }

        if settings[Settings.corsOrigins].contains("*") {
            problem(Settings.corsOrigins, "must not contain \"*\" in production; list the exact origins")
        }

        if case .success(.sqlite(let path)) = DatabaseURL.parse(settings[Settings.databaseURL]) {
            let directory = (path as NSString).deletingLastPathComponent
            if !isWritableOrCreatable(directory) {
                problem(Settings.databaseURL, "the SQLite directory \(directory) is not writable by this user")
            }
        }

        for (layer, path) in sourceFiles.sorted(by: { $0.key < $1.key }) {
            let secretsHere = settings.all.filter { $0.isSecret && $0.layer == layer }
            guard let first = secretsHere.first, isReadableByOthers(path) else { continue }
            problems.append(ConfigProblem(
                .error, key: first.key, layer: layer,
                "is read from \(path), which other users can read; run chmod o-r \(path) or move secrets to the environment"
            ))
        }
        return problems
    }

    /// Whether files can be created in the directory, or — when it does not exist yet — in
    /// its nearest existing parent. Probed by creating and removing a directory, because
    /// `access(2)` says yes to root even on a read-only or virtual file system.
    static func isWritableOrCreatable(_ directory: String) -> Bool {
        var candidate = directory
        while !FileManager.default.fileExists(atPath: candidate) {
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent == candidate || parent.isEmpty { return false }
            candidate = parent
        }
        let probe = candidate + "/.portcullis-write-probe-\(getpid())"
        guard mkdir(probe, 0o700) == 0 else { return false }
        rmdir(probe)
        return true
    }

    static func isReadableByOthers(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IROTH != 0
    }
}
