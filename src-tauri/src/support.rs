//! Support for a service desk: the log file, kept small by rotation, and
//! what the About screen shows.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A log file that starts afresh once it reaches `max_bytes`, keeping the
/// `keep` files before it as `name.1` (newest) to `name.N`.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: File,
    size: u64,
}

/// 5 MB a file, the current one and four before it.
pub const LOG_MAX_BYTES: u64 = 5 * 1024 * 1024;
pub const LOG_KEEP: usize = 4;

impl RotatingFile {
    pub fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            max_bytes: max_bytes.max(1),
            keep,
            file,
            size,
        })
    }

    fn older(&self, n: usize) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            self.file = File::create(&self.path)?;
        } else {
            let _ = std::fs::remove_file(self.older(self.keep));
            for n in (1..self.keep).rev() {
                let from = self.older(n);
                if from.exists() {
                    std::fs::rename(&from, self.older(n + 1))?;
                }
            }
            std::fs::rename(&self.path, self.older(1))?;
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The end of the log: the current file, after the one before it when the
/// current one is short.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    if current.lines().count() >= lines {
        return current;
    }
    let mut before = path.to_path_buf().into_os_string();
    before.push(".1");
    let earlier = std::fs::read_to_string(PathBuf::from(before)).unwrap_or_default();
    earlier + &current
}

/// The commit Paydesk was built from, as the build recorded it.
pub const BUILD: &str = match option_env!("PAYDESK_BUILD") {
    Some(b) => b,
    None => "unknown",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_and_keeps_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paydesk.log");
        let mut log = RotatingFile::open(&path, 1_000, 2).unwrap();
        for i in 0..100 {
            writeln!(log, "line {i:03} of the log, forty bytes or so").unwrap();
        }
        log.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["paydesk.log", "paydesk.log.1", "paydesk.log.2"]);
        for name in &names {
            let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
            assert!(len <= 1_000, "{name}: {len}");
        }
        // The newest lines are in the current file, the ones before in .1.
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(current.ends_with("line 099 of the log, forty bytes or so\n"));
        let tail = log_tail(&path, 30);
        assert!(tail.lines().count() >= 30, "{tail}");
        // Reopened, it goes on from its size rather than starting over.
        drop(log);
        let again = RotatingFile::open(&path, 1_000, 2).unwrap();
        assert_eq!(again.size, current.len() as u64);
    }
}
