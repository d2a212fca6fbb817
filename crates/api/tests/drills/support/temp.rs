//! A scratch directory per drill (database file, logs, nginx configuration), removed at the end:
//! the shared [`test_support::TempDir`].

pub use test_support::TempDir;
