//! Source files and byte spans into them: every diagnostic points back to the text the user wrote.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Index of a file in a [`Sources`] store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

impl FileId {
    /// The order in which the file was read.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range in one source file.
///
/// Twelve bytes, and `Copy`: a large project holds one per YAML node, per view field and per
/// finding, and offsets as `usize` made every one of them twice the size. Every file mcpgen
/// reads is capped well under 4 GiB ([`MAX_INPUT`], the compose reader's own cap), so the
/// offsets fit in `u32`; one that did not would saturate, never wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    start: u32,
    end: u32,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        Self {
            file,
            start: offset(range.start),
            end: offset(range.end),
        }
    }

    /// The byte range, to slice the file's text with.
    pub fn range(&self) -> Range<usize> {
        self.start()..self.end()
    }

    pub fn start(&self) -> usize {
        self.start as usize
    }

    pub fn end(&self) -> usize {
        self.end as usize
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user should see it (relative where it was given relative).
    pub display_path: String,
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of each line's start, built on first use: a file with thousands of
    /// findings must not be rescanned from the top for each one.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The 0-based index of the line holding byte `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts().partition_point(|&start| start <= offset) - 1
    }

    /// The 1-based line and column of `offset`, a character boundary.
    fn line_col(&self, offset: usize) -> LineCol {
        let line = self.line_index(offset);
        let line_start = self.lines_range(line, line).start;
        LineCol {
            line: line + 1,
            column: self.text[line_start..offset].chars().count() + 1,
        }
    }

    /// The byte range of lines `first..=last` (0-based), including the last line's newline.
    pub fn lines_range(&self, first: usize, last: usize) -> Range<usize> {
        let starts = self.line_starts();
        let end = starts.get(last + 1).copied().unwrap_or(self.text.len());
        starts[first.min(starts.len() - 1)]..end
    }
}

/// Line and column, both 1-based; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Every file read during one run, so spans stay small and diagnostics can quote the text.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        self.files.push(SourceFile {
            display_path: display_path(path),
            path: path.to_path_buf(),
            text,
            line_starts: OnceLock::new(),
        });
        // A run reads a handful of files; four billion is out of reach of any project.
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.index()]
    }

    /// Every file, in the order read: the n-th has the `FileId` whose index is n.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn line_col(&self, span: &Span) -> LineCol {
        let file = self.get(span.file);
        let offset = floor_char_boundary(&file.text, span.start().min(file.text.len()));
        file.line_col(offset)
    }

    /// Where a span starts and ends. A span within one line (most are) takes its end from
    /// its start, without a second search of the line index: a large report asks for
    /// thousands.
    pub fn line_col_range(&self, span: &Span) -> (LineCol, LineCol) {
        let file = self.get(span.file);
        let text = &file.text;
        let start = floor_char_boundary(text, span.start().min(text.len()));
        let end = floor_char_boundary(text, span.end().min(text.len())).max(start);
        let from = file.line_col(start);
        let between = &text[start..end];
        let to = if between.contains('\n') {
            file.line_col(end)
        } else {
            LineCol {
                line: from.line,
                column: from.column + between.chars().count(),
            }
        };
        (from, to)
    }
}

/// What a path is, when it is not a regular file: reading a FIFO or a terminal waits for a
/// writer that may never come, a device may never end, and a directory holds no text.
pub fn not_a_file(metadata: &std::fs::Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// What a path that is neither a file, a directory nor a link is, for messages.
pub fn special_kind(metadata: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let kind = metadata.file_type();
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a device"
    }
}

/// The largest file of the user's mcpgen reads (mcp.toml, a client config, a status file).
pub const MAX_INPUT: u64 = 64 << 20;

/// Reads a file of the user's: a link they made is followed, but only a regular file is read
/// (a FIFO or a device is refused without blocking), and no more than `max` bytes.
pub fn read_input(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let refused = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("it is {what}, not a file"),
        )
    };
    let nonblocking = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblocking)
        .open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(refused("a directory"));
    }
    if !metadata.is_file() {
        return Err(refused(special_kind(&metadata)));
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is larger than {} MiB", max >> 20),
        ));
    }
    Ok(bytes)
}

/// A file of the user's as text: bounded, a regular file only (see [`read_input`]).
pub fn read_users_text(path: &Path) -> std::io::Result<String> {
    let bytes = read_input(path, MAX_INPUT)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// What to do instead, for a path [`not_a_file`] refused; `file` is the file usually meant.
pub fn not_a_file_help(path: &Path, kind: &str, file: &str) -> String {
    if kind == "a directory" {
        format!("name the file in it: `{}`", path.join(file).display())
    } else {
        "mcpgen reads regular files only (a pipe or a device may never end): save the text to a file and name that"
            .to_string()
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Paths under the current directory are shown relative to it, so diagnostics and snapshots
/// do not carry the building machine's absolute paths.
pub fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("x.toml"), "a = 1\nbé = \"x\"\n".to_string());
        let span = Span::new(id, 11..14);
        assert_eq!(sources.line_col(&span), LineCol { line: 2, column: 5 });
        assert_eq!(
            sources.line_col(&Span::new(id, 0..1)),
            LineCol { line: 1, column: 1 }
        );
    }

    #[test]
    fn a_span_ends_where_its_end_offset_is() {
        let mut sources = Sources::default();
        let text = "a = 1\nbé = \"x\"\n\nlast".to_string();
        let len = text.len();
        let id = sources.add(Path::new("x.toml"), text);
        for start in 0..=len {
            for end in start..=len + 2 {
                let span = Span::new(id, start..end);
                let at_end = Span::new(id, end..end);
                assert_eq!(
                    sources.line_col_range(&span),
                    (sources.line_col(&span), sources.line_col(&at_end)),
                    "{start}..{end}"
                );
            }
        }
    }

    #[test]
    fn a_span_is_twelve_bytes_and_an_offset_past_u32_saturates() {
        // One per YAML node, view field and finding: its size is a large project's memory.
        assert_eq!(std::mem::size_of::<Span>(), 12);
        let mut sources = Sources::default();
        let id = sources.add(Path::new("x.toml"), String::new());
        let far = u32::MAX as usize + 10;
        let span = Span::new(id, 7..far);
        assert_eq!(span.range(), 7..u32::MAX as usize);
        assert_eq!(sources.line_col(&span), LineCol { line: 1, column: 1 });
    }

    #[test]
    fn a_line_index_counts_the_line_breaks_before_the_offset() {
        let mut sources = Sources::default();
        let text = "a\n\nbé = 1\n  - x\n\n\nlast line".to_string();
        let naive = |offset: usize| {
            text.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        };
        let id = sources.add(Path::new("x.yml"), text.clone());
        let file = sources.get(id);
        for offset in 0..=text.len() {
            assert_eq!(file.line_index(offset), naive(offset), "{offset}");
        }
    }
}
