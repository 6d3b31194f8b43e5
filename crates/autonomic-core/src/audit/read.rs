//! Reading records back, in order, for `audit show`.

use std::io::BufRead as _;
use std::path::Path;

use super::record::{open_line, AuditRecord};
use super::AuditError;

/// Calls `each` with every record of the log at `path`, in order, checking
/// each record's own hash (the chain as a whole is [`super::verify`]'s).
/// A missing log has no records. Returns how many records were read.
///
/// # Errors
///
/// I/O failures, and the first line that is not an intact record (named by
/// its line number).
pub fn read(path: &Path, mut each: impl FnMut(AuditRecord)) -> Result<u64, AuditError> {
    let file = match fs_err::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(AuditError::Io(e)),
    };
    let mut reader = std::io::BufReader::new(file);
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(AuditError::Io)? == 0 {
            return Ok(line);
        }
        line += 1;
        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let record = open_line(text).map_err(|reason| AuditError::BadLine {
            path: path.to_path_buf(),
            line,
            reason,
        })?;
        each(record);
    }
}
