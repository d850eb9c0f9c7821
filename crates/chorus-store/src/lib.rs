//! The run store: one SQLite file that remembers every stage's per-item results.
//!
//! A result is stored under a [`cache_key`] of (stage, stage version, model, parameters, input),
//! so a result is reused exactly when nothing that could change it has changed: a new prompt
//! version, another model or other input all miss. Writes are transactional per batch; a process
//! killed at any instant leaves every committed batch intact and nothing half-written, so a rerun
//! redoes only what was not committed.
//!
//! ```
//! use chorus_store::{Store, cache_key};
//! use chorus_types::ContentHash;
//!
//! let mut store = Store::in_memory().unwrap();
//! let key = cache_key("profile", 1, "", "", ContentHash::of(b"conversation"));
//! store.put_batch("profile", &[(key, b"result".to_vec())]).unwrap();
//! assert_eq!(store.get(key).unwrap().as_deref(), Some(&b"result"[..]));
//! ```
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chorus_types::{ContentHash, Hasher};
use rusqlite::{Connection, OptionalExtension, params};

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("run store {path}: {source}")]
    Sqlite {
        /// The store file (`:memory:` for an in-memory store).
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file was written by a newer chorus with another layout.
    #[error(
        "run store {path} has layout version {found}; this chorus reads version {expected}. \
         Use another --cache file or a newer chorus"
    )]
    Version {
        /// The store file.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The version this build writes.
        expected: i64,
    },
}

/// Result alias for store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// The layout version written into every store file.
pub const LAYOUT_VERSION: i64 = 1;

/// The key of one stage result.
///
/// `params` holds whatever else changes the result (prompt text and version, temperature,
/// facet definition); `model` is the model id, empty for stages without one.
pub fn cache_key(
    stage: &str,
    stage_version: u32,
    model: &str,
    params: &str,
    input: ContentHash,
) -> ContentHash {
    Hasher::new()
        .field(stage.as_bytes())
        .field(&stage_version.to_le_bytes())
        .field(model.as_bytes())
        .field(params.as_bytes())
        .field(input.as_bytes())
        .finish()
}

/// Per-stage totals held in a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageCount {
    /// The stage.
    pub stage: String,
    /// Results held.
    pub results: u64,
    /// Results written more than once (an item computed twice); zero unless something is wrong.
    pub rewritten: u64,
}

/// An open run store.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let connection = Connection::open(path).map_err(sqlite_error(path))?;
        let store = Self {
            connection,
            path: path.to_path_buf(),
        };
        store.configure()?;
        Ok(store)
    }

    /// A store that lives in memory, for tests and one-off commands.
    pub fn in_memory() -> Result<Self> {
        let path = PathBuf::from(":memory:");
        let connection = Connection::open_in_memory().map_err(sqlite_error(&path))?;
        let store = Self { connection, path };
        store.configure()?;
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<()> {
        // WAL keeps readers (a second run, a test) unblocked; NORMAL sync in WAL mode loses no
        // committed transaction when the process dies, only on power loss.
        self.connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(self.error())?;
        self.connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS meta (
                     name TEXT PRIMARY KEY,
                     value INTEGER NOT NULL
                 );
                 INSERT OR IGNORE INTO meta (name, value) VALUES ('layout_version', 1);
                 CREATE TABLE IF NOT EXISTS results (
                     key BLOB PRIMARY KEY,
                     stage TEXT NOT NULL,
                     value BLOB NOT NULL,
                     writes INTEGER NOT NULL DEFAULT 1,
                     written_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                 ) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS results_by_stage ON results (stage);",
            )
            .map_err(self.error())?;
        let found: i64 = self
            .connection
            .query_row(
                "SELECT value FROM meta WHERE name = 'layout_version'",
                [],
                |row| row.get(0),
            )
            .map_err(self.error())?;
        if found != LAYOUT_VERSION {
            return Err(StoreError::Version {
                path: self.path.clone(),
                found,
                expected: LAYOUT_VERSION,
            });
        }
        Ok(())
    }

    fn error(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        sqlite_error(&self.path)
    }

    /// The stored result for `key`, if any.
    pub fn get(&self, key: ContentHash) -> Result<Option<Vec<u8>>> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT value FROM results WHERE key = ?1")
            .map_err(self.error())?;
        statement
            .query_row(params![key.as_bytes()], |row| row.get(0))
            .optional()
            .map_err(self.error())
    }

    /// Stores a batch of results for one stage in a single transaction: all or none.
    pub fn put_batch(&mut self, stage: &str, entries: &[(ContentHash, Vec<u8>)]) -> Result<()> {
        let path = self.path.clone();
        let error = sqlite_error(&path);
        let transaction = self.connection.transaction().map_err(&error)?;
        {
            let mut statement = transaction
                .prepare_cached(
                    "INSERT INTO results (key, stage, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, writes = writes + 1",
                )
                .map_err(&error)?;
            for (key, value) in entries {
                statement
                    .execute(params![key.as_bytes(), stage, value])
                    .map_err(&error)?;
            }
        }
        transaction.commit().map_err(&error)
    }

    /// Results held per stage, with how many were ever written twice.
    pub fn stage_counts(&self) -> Result<Vec<StageCount>> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT stage, COUNT(*), SUM(writes > 1) FROM results GROUP BY stage ORDER BY stage",
            )
            .map_err(self.error())?;
        let rows = statement
            .query_map([], |row| {
                Ok(StageCount {
                    stage: row.get(0)?,
                    results: row.get::<_, i64>(1)? as u64,
                    rewritten: row.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(self.error())?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(self.error())
    }
}

fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
    let path = path.to_path_buf();
    move |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> ContentHash {
        cache_key("stage", 1, "", "", ContentHash::of(&n.to_le_bytes()))
    }

    #[test]
    fn every_key_part_changes_the_key() {
        let input = ContentHash::of(b"x");
        let base = cache_key("s", 1, "m", "p", input);
        assert_ne!(base, cache_key("t", 1, "m", "p", input));
        assert_ne!(base, cache_key("s", 2, "m", "p", input));
        assert_ne!(base, cache_key("s", 1, "n", "p", input));
        assert_ne!(base, cache_key("s", 1, "m", "q", input));
        assert_ne!(base, cache_key("s", 1, "m", "p", ContentHash::of(b"y")));
    }

    #[test]
    fn results_survive_reopening_and_rewrites_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        {
            let mut store = Store::open(&path).unwrap();
            store
                .put_batch("stage", &[(key(1), b"a".to_vec()), (key(2), b"b".to_vec())])
                .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.get(key(1)).unwrap(), Some(b"a".to_vec()));
        assert_eq!(store.get(key(3)).unwrap(), None);
        assert_eq!(store.stage_counts().unwrap()[0].rewritten, 0);
        store
            .put_batch("stage", &[(key(1), b"a".to_vec())])
            .unwrap();
        let counts = store.stage_counts().unwrap();
        assert_eq!((counts[0].results, counts[0].rewritten), (2, 1));
    }

    #[test]
    fn a_newer_layout_is_refused_with_a_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        drop(Store::open(&path).unwrap());
        let connection = Connection::open(&path).unwrap();
        connection
            .execute(
                "UPDATE meta SET value = 99 WHERE name = 'layout_version'",
                [],
            )
            .unwrap();
        drop(connection);
        let error = Store::open(&path).err().unwrap();
        assert!(error.to_string().contains("--cache"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        std::fs::write(
            &path,
            b"this is not a database, just text that is long enough",
        )
        .unwrap();
        assert!(Store::open(&path).is_err());
    }
}
