//! A temporary directory per test (SQLite database, providers file), removed when dropped:
//! the shared [`test_support::TempDir`].

pub use test_support::TempDir;
