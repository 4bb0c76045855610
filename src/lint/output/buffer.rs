//! The buffer reports are written through. A report of thousands of findings reaches its
//! writer as hundreds of thousands of writes of a few bytes (a quote, `": "`, a line break and
//! its indentation): `std::io::BufWriter` hands each to `memcpy`, whose call costs more than
//! the copy. Here a write of up to 16 bytes is copied inline, as two overlapping fixed-size
//! copies; anything longer goes through `copy_from_slice` as usual.

use std::io::{self, Write};
use std::os::fd::AsFd;

/// Bytes gathered before they go to the inner writer.
const CAPACITY: usize = 64 * 1024;
/// Writes up to this long take the inline path.
const SMALL: usize = 16;

pub struct ReportBuffer<W: Write> {
    buffer: Box<[u8]>,
    filled: usize,
    inner: W,
}

impl<W: Write> ReportBuffer<W> {
    pub fn new(inner: W) -> Self {
        Self {
            buffer: vec![0; CAPACITY].into_boxed_slice(),
            filled: 0,
            inner,
        }
    }

    fn flush_buffer(&mut self) -> io::Result<()> {
        let filled = std::mem::take(&mut self.filled);
        self.inner.write_all(&self.buffer[..filled])
    }

    #[cold]
    fn write_large(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() > CAPACITY - self.filled {
            self.flush_buffer()?;
        }
        if data.len() >= CAPACITY {
            return self.inner.write_all(data);
        }
        self.buffer[self.filled..self.filled + data.len()].copy_from_slice(data);
        self.filled += data.len();
        Ok(())
    }
}

/// Where a report on standard output is written: the descriptor itself, through a duplicate.
/// `Stdout` is line-buffered whatever it is connected to, and it would hold back the part of
/// each of [`ReportBuffer`]'s writes after its last line break and write it on its own before
/// the next: two system calls per write instead of one. If the descriptor cannot be duplicated
/// (it is closed, say), `Stdout` is used, with its own handling of that.
pub enum ReportOutput {
    File(std::fs::File),
    Stdout(io::StdoutLock<'static>),
}

impl ReportOutput {
    pub fn stdout() -> Self {
        let stdout = io::stdout();
        // Whatever was written through `Stdout` goes first.
        let _ = stdout.lock().flush();
        match stdout.as_fd().try_clone_to_owned() {
            Ok(fd) => ReportOutput::File(fd.into()),
            Err(_) => ReportOutput::Stdout(stdout.lock()),
        }
    }
}

impl Write for ReportOutput {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            ReportOutput::File(file) => file.write(data),
            ReportOutput::Stdout(stdout) => stdout.write(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ReportOutput::File(file) => file.flush(),
            ReportOutput::Stdout(stdout) => stdout.flush(),
        }
    }
}

/// Copies `source` (at most [`SMALL`] bytes) to the start of `target` (as long) with
/// fixed-size copies the compiler turns into a few moves.
#[inline]
fn copy_small(target: &mut [u8], source: &[u8]) {
    let n = source.len();
    if n >= 8 {
        target[..8].copy_from_slice(&source[..8]);
        target[n - 8..n].copy_from_slice(&source[n - 8..]);
    } else if n >= 4 {
        target[..4].copy_from_slice(&source[..4]);
        target[n - 4..n].copy_from_slice(&source[n - 4..]);
    } else if n > 0 {
        target[0] = source[0];
        target[n / 2] = source[n / 2];
        target[n - 1] = source[n - 1];
    }
}

/// What is still buffered is written when the buffer goes, as `BufWriter` does; an error then
/// has no one to go to. Callers that must know flush first.
impl<W: Write> Drop for ReportBuffer<W> {
    fn drop(&mut self) {
        let _ = self.flush_buffer();
    }
}

impl<W: Write> Write for ReportBuffer<W> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let at = self.filled;
        if data.len() <= SMALL && at + SMALL <= CAPACITY {
            copy_small(&mut self.buffer[at..at + data.len()], data);
            self.filled = at + data.len();
            Ok(())
        } else {
            self.write_large(data)
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer()?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length, small and large, at every fill level around the buffer's end, comes out
    /// whole and in order.
    #[test]
    fn writes_come_out_as_they_went_in() {
        let source: Vec<u8> = (0..=255u8).cycle().take(3 * CAPACITY).collect();
        let mut expected = Vec::new();
        let mut buffer = ReportBuffer::new(Vec::new());
        let mut at = 0;
        for length in (0..=40).chain([SMALL, CAPACITY - 3, CAPACITY, CAPACITY + 7]) {
            for _ in 0..(if length <= 40 { 900 } else { 1 }) {
                let piece = &source[at % CAPACITY..at % CAPACITY + length];
                buffer.write_all(piece).expect("written");
                expected.extend_from_slice(piece);
                at += length + 1;
            }
        }
        buffer.flush().expect("flushed");
        assert_eq!(buffer.inner, expected);
    }

    #[test]
    fn what_is_buffered_is_written_when_the_buffer_goes() {
        let mut written = Vec::new();
        {
            let mut buffer = ReportBuffer::new(&mut written);
            buffer.write_all(b"not flushed").expect("buffered");
        }
        assert_eq!(written, b"not flushed");
    }

    #[test]
    fn an_error_of_the_inner_writer_is_returned() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut buffer = ReportBuffer::new(Closed);
        buffer.write_all(b"small").expect("buffered");
        assert!(buffer.flush().is_err());
        assert!(buffer.write_all(&vec![0; CAPACITY + 1]).is_err());
    }
}
