//! Writing to the terminal without ever panicking.
//!
//! `println!`/`eprintln!` panic when the stream is closed (`gpu-charts
//! plugins | head -1`), which is exit 101 and a backtrace for the most
//! ordinary of pipelines. These functions report a closed stdout as
//! [`std::io::ErrorKind::BrokenPipe`] for the caller to end quietly on, and
//! drop stderr lines nobody can read any more.

use std::fmt;
use std::io::{self, Write};

/// Writes `args` to standard output (no newline added) and flushes, so a
/// closed pipe shows up here rather than at exit.
pub fn out(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)?;
    stdout.flush()
}

/// Writes one line to standard error; a closed or failing stderr is ignored
/// (there is nowhere left to report it).
pub fn err_line(args: fmt::Arguments<'_>) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_fmt(args);
    let _ = stderr.write_all(b"\n");
}

/// Whether `e` (or any error it wraps) is a write to a closed pipe.
pub fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! elog {
    ($($arg:tt)*) => { $crate::console::err_line(format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_found_through_wrappers() {
        #[derive(Debug, thiserror::Error)]
        #[error("writing the CSV")]
        struct Wrap(#[source] io::Error);
        let e = Wrap(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
        assert!(is_broken_pipe(&e));
        let other = Wrap(io::Error::other("disk full"));
        assert!(!is_broken_pipe(&other));
    }
}
