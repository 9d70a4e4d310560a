public import Logging
public import PortcullisPlatform

/// Makes the store `database.url` names.
public enum StoreFactory {
    public static func make(_ settings: PortcullisConfig.Database, logger: Logger) throws(StoreError) -> any Store {
        switch DatabaseURL.parse(settings.url) {
        case .failure(let error):
            throw StoreError.invalidURL(error.message)
        case .success(.sqlite(let path)):
            return SQLiteStore(path: path, poolSize: settings.poolSize, maxOverflow: settings.maxOverflow, logger: logger)
        case .success(.postgres(let server)):
            return PostgresStore(server: server, settings: settings, logger: logger)
        }
    }
}
