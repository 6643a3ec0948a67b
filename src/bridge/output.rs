//! The only writer of stdout. Every protocol line (notifications from the event thread,
//! responses from the request workers) goes through one bounded queue to one thread, so lines
//! never interleave, and a host that stops reading makes producers wait instead of growing memory.
//!
//! A busy producer can collect its lines in a `Batch` and hand them over together: the
//! WebSocket reader does so for the events it reads without waiting, and hands its batch over
//! before it waits for the socket. Handing over a line wakes the writer thread, and under load
//! those wake-ups were a quarter of the bridge's CPU time.

use crate::stop::{Stop, StopReason};
use std::io::{self, BufWriter, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines waiting for stdout, at most. Small: the host normally reads at once; a stalled host
/// should stall the WebSocket reader (TCP backpressure) rather than fill our memory.
const QUEUE_LINES: usize = 1024;
/// A batch is handed over once it has this many lines: bounds how long the first of them
/// waits for the others, and keeps the queue bounded in lines.
const BATCH_AT_MOST: usize = 32;
/// Queue items: one line, or a batch of up to `BATCH_AT_MOST`.
const QUEUE_ITEMS: usize = QUEUE_LINES / BATCH_AT_MOST;

enum Item {
    Line(String),
    /// A `message` line, reported to the `on_written` hook once it is flushed to stdout.
    Message(String, Written),
    /// The lines of a `Batch`, in order.
    Batch(Vec<Item>),
    /// Flush everything before this and acknowledge.
    Finish(mpsc::Sender<()>),
}

/// Which post a written `message` line carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub channel_id: String,
    pub post_id: String,
    pub create_at: i64,
}

/// Called on the writer thread for each `message` line once it is flushed: only then does
/// the post count as delivered (a line still queued when the process ends was not).
pub type OnWritten = Box<dyn Fn(&Written) + Send>;

#[derive(Clone)]
pub struct Output {
    queue: SyncSender<Item>,
}

impl Output {
    /// Starts the writer thread on stdout.
    pub fn start(stop: Arc<Stop>, on_written: OnWritten) -> (Output, JoinHandle<()>) {
        Output::start_on(Box::new(io::stdout()), stop, on_written)
    }

    fn start_on(
        sink: Box<dyn Write + Send>,
        stop: Arc<Stop>,
        on_written: OnWritten,
    ) -> (Output, JoinHandle<()>) {
        let (queue, items) = mpsc::sync_channel(QUEUE_ITEMS);
        let handle = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_loop(sink, items, &stop, &on_written))
            .expect("spawning the stdout thread");
        (Output { queue }, handle)
    }

    /// Queues a `message` line; `written` goes to the hook once the line is out.
    pub fn send_message(&self, line: String, written: Written) -> bool {
        self.enqueue(Item::Message(line, written))
    }

    /// Queues a line, waiting while the queue is full. False when the writer is gone.
    pub fn send(&self, line: String) -> bool {
        self.enqueue(Item::Line(line))
    }

    /// An empty batch: lines put in it reach the writer when it is handed over.
    pub fn batch(&self) -> Batch {
        Batch {
            output: self.clone(),
            lines: Vec::new(),
        }
    }

    fn enqueue(&self, item: Item) -> bool {
        self.queue.send(item).is_ok()
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

    /// Waits until every line queued so far (not those still in a batch) is written and
    /// flushed, at most `timeout`.
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

/// Lines collected by one producer and handed to the writer together: one queue item and one
/// wake-up of the writer for all of them. The owner hands the batch over before anything that
/// may wait (a read from the network, a full queue of another stage), so no line waits for it;
/// it is also handed over every `BATCH_AT_MOST` lines, and when dropped.
pub struct Batch {
    output: Output,
    lines: Vec<Item>,
}

impl Batch {
    /// Adds a `message` line; `written` goes to the hook once the line is out. False when the
    /// writer is gone.
    pub fn send_message(&mut self, line: String, written: Written) -> bool {
        self.lines.push(Item::Message(line, written));
        self.lines.len() < BATCH_AT_MOST || self.hand_over()
    }

    /// Hands the lines over to the writer, waiting while the queue is full (nothing to do when
    /// the batch is empty). False when the writer is gone.
    pub fn hand_over(&mut self) -> bool {
        // A lone line leaves as itself, and the batch keeps its buffer; only more take it.
        let item = match self.lines.len() {
            0 => return true,
            1 => self.lines.pop().expect("one line"),
            _ => Item::Batch(std::mem::replace(
                &mut self.lines,
                Vec::with_capacity(BATCH_AT_MOST),
            )),
        };
        self.output.enqueue(item)
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.hand_over();
    }
}

fn write_loop(
    sink: Box<dyn Write + Send>,
    items: Receiver<Item>,
    stop: &Stop,
    on_written: &OnWritten,
) {
    let mut writer = Writer {
        out: BufWriter::with_capacity(64 * 1024, sink),
        unflushed: Vec::new(),
        on_written,
    };
    while let Ok(item) = items.recv() {
        let result = writer.write(item).and_then(|()| {
            // Batch while more lines are waiting; flush as soon as the queue is empty so a
            // lone message is never held back.
            while let Ok(item) = items.try_recv() {
                writer.write(item)?;
            }
            writer.flush()
        });
        if let Err(e) = result {
            log::error!("the host stopped reading stdout ({e}); stopping");
            stop.trigger(StopReason::StdoutClosed);
            return;
        }
    }
}

struct Writer<'a> {
    out: BufWriter<Box<dyn Write + Send>>,
    /// Messages written into the buffer but not flushed yet.
    unflushed: Vec<Written>,
    on_written: &'a OnWritten,
}

impl Writer<'_> {
    fn write(&mut self, item: Item) -> io::Result<()> {
        match item {
            Item::Line(line) => self.write_line(&line),
            Item::Message(line, written) => {
                self.write_line(&line)?;
                self.unflushed.push(written);
                Ok(())
            }
            Item::Batch(items) => items.into_iter().try_for_each(|item| self.write(item)),
            Item::Finish(ack) => {
                self.flush()?;
                let _ = ack.send(());
                Ok(())
            }
        }
    }

    fn write_line(&mut self, line: &str) -> io::Result<()> {
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        for written in self.unflushed.drain(..) {
            (self.on_written)(&written);
        }
        Ok(())
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
        let (output, sink) = started();
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

    #[test]
    fn messages_are_reported_once_written() {
        let sink = Shared::default();
        let reported = Arc::new(Mutex::new(Vec::new()));
        let hook_sink = sink.clone();
        let hook_log = reported.clone();
        let hook: OnWritten = Box::new(move |w: &Written| {
            // Reported only after the line is in the sink.
            let text = String::from_utf8(hook_sink.0.lock().unwrap().clone()).unwrap();
            assert!(text.contains(&w.post_id));
            hook_log.lock().unwrap().push(w.post_id.clone());
        });
        let (output, _handle) = Output::start_on(Box::new(sink), Arc::new(Stop::new()), hook);
        for n in 0..100 {
            let written = Written {
                channel_id: "c".into(),
                post_id: format!("p{n}"),
                create_at: n,
            };
            assert!(output.send_message(format!("{{\"m\":\"p{n}\"}}"), written));
        }
        output.send("not a message".into());
        assert!(output.finish(Duration::from_secs(5)));
        let expected: Vec<String> = (0..100).map(|n| format!("p{n}")).collect();
        assert_eq!(*reported.lock().unwrap(), expected);
    }

    /// A writer on a shared buffer, without a `message` hook.
    fn started() -> (Output, Shared) {
        let sink = Shared::default();
        let (output, _handle) = Output::start_on(
            Box::new(sink.clone()),
            Arc::new(Stop::new()),
            Box::new(|_| {}),
        );
        (output, sink)
    }

    /// What the writer has written once every queued line is out.
    fn flushed(output: &Output, sink: &Shared) -> Vec<String> {
        assert!(output.finish(Duration::from_secs(5)));
        written_lines(sink)
    }

    fn written_lines(sink: &Shared) -> Vec<String> {
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_string).collect()
    }

    fn message(id: &str) -> Written {
        Written {
            channel_id: "c".into(),
            post_id: id.into(),
            create_at: 0,
        }
    }

    #[test]
    fn batched_lines_wait_for_the_hand_over_and_keep_their_order() {
        let sink = Shared::default();
        let reported = Arc::new(Mutex::new(Vec::new()));
        let hook_log = reported.clone();
        let hook: OnWritten = Box::new(move |w: &Written| {
            hook_log.lock().unwrap().push(w.post_id.clone());
        });
        let (output, _handle) =
            Output::start_on(Box::new(sink.clone()), Arc::new(Stop::new()), hook);
        let mut batch = output.batch();
        assert!(batch.send_message("first".into(), message("p1")));
        assert!(batch.send_message("second".into(), message("p2")));
        assert!(
            flushed(&output, &sink).is_empty(),
            "batched lines were written"
        );
        assert!(reported.lock().unwrap().is_empty());

        assert!(batch.hand_over());
        assert_eq!(flushed(&output, &sink), ["first", "second"]);
        assert_eq!(*reported.lock().unwrap(), ["p1", "p2"]);

        // A lone line, then dropping the batch hands over the rest.
        assert!(batch.send_message("third".into(), message("p3")));
        assert!(batch.hand_over());
        assert!(batch.send_message("fourth".into(), message("p4")));
        drop(batch);
        assert!(output.send("fifth".into()));
        assert_eq!(
            flushed(&output, &sink),
            ["first", "second", "third", "fourth", "fifth"]
        );
        assert_eq!(*reported.lock().unwrap(), ["p1", "p2", "p3", "p4"]);
    }

    #[test]
    fn a_batch_is_handed_over_every_batch_at_most_lines() {
        let (output, sink) = started();
        let mut batch = output.batch();
        for n in 0..=BATCH_AT_MOST {
            assert!(batch.send_message(format!("{n}"), message(&n.to_string())));
        }
        let expected: Vec<String> = (0..BATCH_AT_MOST).map(|n| n.to_string()).collect();
        assert_eq!(flushed(&output, &sink), expected);
        drop(batch);
        assert_eq!(flushed(&output, &sink).len(), BATCH_AT_MOST + 1);
    }

    #[test]
    fn lines_sent_directly_do_not_wait_for_a_batch() {
        let (output, sink) = started();
        let mut batch = output.batch();
        assert!(batch.send_message("batched".into(), message("p")));
        let other = output.clone();
        std::thread::spawn(move || assert!(other.send("from another thread".into())))
            .join()
            .unwrap();
        assert!(output.send("direct".into()));
        assert_eq!(flushed(&output, &sink), ["from another thread", "direct"]);
        drop(batch);
        assert_eq!(
            flushed(&output, &sink),
            ["from another thread", "direct", "batched"]
        );
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
        let (output, handle) = Output::start_on(Box::new(Broken), stop.clone(), Box::new(|_| {}));
        output.send("x".into());
        handle.join().unwrap();
        assert_eq!(stop.wait(), StopReason::StdoutClosed);
    }
}
