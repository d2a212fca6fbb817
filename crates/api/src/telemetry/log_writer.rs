//! Where log lines go: stderr, written in batches by a background thread instead of one
//! `write(2)` per line on the thread that logged.
//!
//! A line is appended to a shared buffer. The writer thread sleeps until a line arrives, then
//! waits [`GATHER`] so that the lines of a busy moment go out together, writes everything
//! pending, and sleeps again once the buffer is empty. At low traffic a line is therefore on
//! stderr within about a millisecond (`kubectl logs` shows it at once); at 8,000 requests a
//! second it is one `write(2)` per dozen lines, and no wake-up of the writer per line.
//!
//! Bounded: past [`LIMIT`] bytes pending, the thread that logs waits for the writer (as it did
//! for the write itself before), so a stalled stderr cannot grow the process's memory.
//! [`LogGuard`] flushes and stops the thread; after that, lines are written directly, so none
//! is lost at shutdown.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer lets lines gather after the first one wakes it.
const GATHER: Duration = Duration::from_millis(1);
/// Pending bytes beyond which a thread that logs waits for the writer.
const LIMIT: usize = 256 * 1024;

/// The [`MakeWriter`] of the log subscriber.
#[derive(Clone)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

/// Flushes what is pending and stops the writer thread when dropped.
#[must_use = "dropping the guard stops the batching (lines are then written one by one)"]
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a line arrives for a sleeping writer, or at shutdown.
    arrived: Condvar,
    /// Signalled when the writer has written a batch.
    written: Condvar,
    /// stderr (a buffer in tests).
    out: Mutex<Box<dyn Write + Send>>,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// The writer is waiting on `arrived` (only then does a new line need to wake it).
    asleep: bool,
    /// The writer holds a batch it has not finished writing.
    writing: bool,
    /// The guard was dropped: the writer empties the buffer and ends.
    stopping: bool,
    /// No writer thread (ended, or never started): lines are written directly.
    direct: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only bytes behind; logging must go on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.write_all(bytes).and_then(|()| out.flush())
    }
}

impl BatchedStderr {
    /// The writer and the guard that owns its thread. If the thread cannot be started, lines
    /// are written directly.
    pub fn start() -> (BatchedStderr, LogGuard) {
        BatchedStderr::start_with(Box::new(io::stderr()))
    }

    fn start_with(out: Box<dyn Write + Send>) -> (BatchedStderr, LogGuard) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            written: Condvar::new(),
            out: Mutex::new(out),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("log-writer".to_owned())
            .spawn(move || write_batches(&worker))
            .ok();
        if thread.is_none() {
            shared.lock().direct = true;
        }
        let guard = LogGuard {
            shared: shared.clone(),
            thread,
        };
        (BatchedStderr { shared }, guard)
    }

    /// Appends one formatted line (or several).
    fn append(&self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.shared.lock();
        while state.pending.len() >= LIMIT && !state.direct {
            state = self
                .shared
                .written
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.direct {
            // Under the state lock, so that lines from two threads keep their order.
            return self.shared.write(bytes);
        }
        state.pending.extend_from_slice(bytes);
        if state.asleep {
            state.asleep = false;
            self.shared.arrived.notify_one();
        }
        Ok(())
    }
}

/// The writer thread: sleep until lines arrive, let more gather, write them all, repeat; once
/// stopping and empty, hand over to direct writes and end.
fn write_batches(shared: &Shared) {
    let mut batch = Vec::new();
    let mut state = shared.lock();
    loop {
        while state.pending.is_empty() && !state.stopping {
            state.asleep = true;
            state = shared
                .arrived
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.pending.is_empty() {
            state.direct = true;
            shared.written.notify_all();
            return;
        }
        if !state.stopping {
            drop(state);
            std::thread::sleep(GATHER);
            state = shared.lock();
        }
        std::mem::swap(&mut batch, &mut state.pending);
        state.writing = true;
        drop(state);
        // Nowhere to report a failed write of the log itself; the next batch tries again.
        let _ = shared.write(&batch);
        batch.clear();
        if batch.capacity() > LIMIT {
            // A burst made it large; keep only a normal batch's worth.
            batch.shrink_to(LIMIT);
        }
        state = shared.lock();
        state.writing = false;
        shared.written.notify_all();
    }
}

impl LogGuard {
    /// Waits until every line logged so far is written (dropping the guard does this too).
    #[cfg(test)]
    fn flush(&self) {
        let mut state = self.shared.lock();
        while (!state.pending.is_empty() || state.writing) && !state.direct {
            if state.asleep {
                state.asleep = false;
                self.shared.arrived.notify_one();
            }
            state = self
                .shared
                .written
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.stopping = true;
            state.asleep = false;
            self.shared.arrived.notify_one();
        }
        // It writes what is pending, then switches to direct writes.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Also if it never started or did not end well: nobody may wait for it any more.
        self.shared.lock().direct = true;
        self.shared.written.notify_all();
    }
}

/// The per-event handle the subscriber writes one formatted line into.
pub struct LineWriter<'a> {
    target: &'a BatchedStderr,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.target.append(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.target.append(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter { target: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A sink the test can read while the writer writes to it.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("sink").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("sink").clone()).expect("UTF-8")
        }
    }

    fn line(writer: &BatchedStderr, text: &str) {
        writer
            .make_writer()
            .write_all(format!("{text}\n").as_bytes())
            .expect("appended");
    }

    #[test]
    fn a_lone_line_is_written_without_waiting_for_more() {
        let sink = Sink::default();
        let (writer, _guard) = BatchedStderr::start_with(Box::new(sink.clone()));
        line(&writer, "first");
        let deadline = Instant::now() + Duration::from_secs(5);
        while sink.text() != "first\n" {
            assert!(
                Instant::now() < deadline,
                "still pending: {:?}",
                sink.text()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn nothing_is_lost_or_reordered_when_the_guard_is_dropped() {
        let sink = Sink::default();
        let (writer, guard) = BatchedStderr::start_with(Box::new(sink.clone()));
        // More than LIMIT in all, from several threads, so that some wait for the writer.
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        line(&writer, &format!("{t} {i:05} {}", "x".repeat(40)));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("logging thread");
        }
        drop(guard);
        line(&writer, "after the guard");
        let text = sink.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20_001);
        assert_eq!(lines.last(), Some(&"after the guard"));
        for t in 0..4 {
            let own: Vec<&str> = lines
                .iter()
                .filter(|l| l.starts_with(&format!("{t} ")))
                .copied()
                .collect();
            assert_eq!(own.len(), 5_000);
            assert!(
                own.windows(2).all(|w| w[0] < w[1]),
                "thread {t} out of order"
            );
        }
    }

    #[test]
    fn flush_waits_until_everything_logged_is_written() {
        let sink = Sink::default();
        let (writer, guard) = BatchedStderr::start_with(Box::new(sink.clone()));
        for i in 0..1_000 {
            line(&writer, &format!("{i}"));
        }
        guard.flush();
        assert_eq!(sink.text().lines().count(), 1_000);
    }
}
