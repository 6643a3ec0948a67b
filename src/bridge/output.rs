//! The only writer of stdout. Every protocol line (notifications from the event thread,
//! responses from the request workers) goes through one bounded queue to one thread, so lines
//! never interleave, and a host that stops reading makes producers wait instead of growing memory.

use crate::stop::{Stop, StopReason};
use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines waiting for stdout. Small: the host normally reads at once; a stalled host should
/// stall the WebSocket reader (TCP backpressure) rather than fill our memory.
const QUEUE_LINES: usize = 1024;

enum Item {
    Line(String),
    /// Flush everything before this and acknowledge.
    Finish(mpsc::Sender<()>),
}

#[derive(Clone)]
pub struct Output {
    queue: SyncSender<Item>,
}

impl Output {
    /// Starts the writer thread on stdout.
    pub fn start(stop: Arc<Stop>) -> (Output, JoinHandle<()>) {
        Output::start_on(Box::new(io::stdout()), stop)
    }

    fn start_on(sink: Box<dyn Write + Send>, stop: Arc<Stop>) -> (Output, JoinHandle<()>) {
        let (queue, items) = mpsc::sync_channel(QUEUE_LINES);
        let handle = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_loop(sink, items, &stop))
            .expect("spawning the stdout thread");
        (Output { queue }, handle)
    }

    /// Queues a line, waiting while the queue is full. False when the writer is gone.
    pub fn send(&self, line: String) -> bool {
        self.queue.send(Item::Line(line)).is_ok()
    }

    /// Queues a line unless that would take longer than `timeout` (used while stopping, when a
    /// stalled host must not keep us alive).
    pub fn send_within(&self, line: String, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut item = Item::Line(line);
        loop {
            match self.queue.try_send(item) {
                Ok(()) => return true,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    item = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TrySendError::Full(_)) => return false,
            }
        }
    }

    /// Waits until every line queued so far is written and flushed, at most `timeout`.
    pub fn finish(&self, timeout: Duration) -> bool {
        let (ack, done) = mpsc::channel();
        let deadline = Instant::now() + timeout;
        let mut item = Item::Finish(ack);
        loop {
            match self.queue.try_send(item) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    item = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

fn write_loop(sink: Box<dyn Write + Send>, items: Receiver<Item>, stop: &Stop) {
    let mut out = BufWriter::with_capacity(64 * 1024, sink);
    while let Ok(item) = items.recv() {
        let result = write_item(&mut out, item).and_then(|()| {
            // Batch while more lines are waiting; flush as soon as the queue is empty so a
            // lone message is never held back.
            drain(&mut out, &items)?;
            out.flush()
        });
        if let Err(e) = result {
            log::error!("the host stopped reading stdout ({e}); stopping");
            stop.trigger(StopReason::StdoutClosed);
            return;
        }
    }
}

fn drain(out: &mut impl Write, items: &Receiver<Item>) -> io::Result<()> {
    while let Ok(item) = items.try_recv() {
        write_item(out, item)?;
    }
    Ok(())
}

fn write_item(out: &mut impl Write, item: Item) -> io::Result<()> {
    match item {
        Item::Line(line) => {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")
        }
        Item::Finish(ack) => {
            out.flush()?;
            let _ = ack.send(());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_whole_and_in_order() {
        let sink = Shared::default();
        let (output, _handle) = Output::start_on(Box::new(sink.clone()), Arc::new(Stop::new()));
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let output = output.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        assert!(output.send(format!("{{\"t\":{t},\"i\":{i}}}")));
                    }
                })
            })
            .collect();
        writers.into_iter().for_each(|w| w.join().unwrap());
        assert!(output.finish(Duration::from_secs(5)));
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2000);
        for t in 0..4 {
            let mine: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("{{\"t\":{t},")))
                .collect();
            let expected: Vec<String> = (0..500)
                .map(|i| format!("{{\"t\":{t},\"i\":{i}}}"))
                .collect();
            assert_eq!(mine, expected);
        }
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stdout_stops_the_bridge() {
        let stop = Arc::new(Stop::new());
        let (output, handle) = Output::start_on(Box::new(Broken), stop.clone());
        output.send("x".into());
        handle.join().unwrap();
        assert_eq!(stop.wait(), StopReason::StdoutClosed);
    }
}
