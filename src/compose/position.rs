//! saphyr's markers count characters; mcpgen's spans are byte offsets. This turns one into the
//! other without a table as large as the file.

/// Converts character indices into byte offsets of one text.
///
/// The parser reports positions in nearly increasing order, so a cursor that walks from the last
/// answer makes the whole pass linear; an ASCII text needs no walking at all.
pub(crate) struct CharIndex<'a> {
    text: &'a str,
    ascii: bool,
    /// The last conversion: character index and the byte offset it maps to.
    chars: usize,
    bytes: usize,
}

impl<'a> CharIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            ascii: text.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    /// The byte offset of character `index`; past the end, the text's length.
    pub(crate) fn byte(&mut self, index: usize) -> usize {
        if self.ascii {
            return index.min(self.text.len());
        }
        while self.chars < index && self.bytes < self.text.len() {
            let width = self.text[self.bytes..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            self.bytes += width;
            self.chars += 1;
        }
        while self.chars > index {
            self.bytes -= 1;
            while !self.text.is_char_boundary(self.bytes) {
                self.bytes -= 1;
            }
            self.chars -= 1;
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_identity() {
        let mut index = CharIndex::new("abc");
        assert_eq!(index.byte(2), 2);
        assert_eq!(index.byte(9), 3);
    }

    #[test]
    fn multibyte_characters_count_once() {
        // é is 2 bytes, 😀 is 4.
        let text = "é😀a:b";
        let mut index = CharIndex::new(text);
        assert_eq!(index.byte(0), 0);
        assert_eq!(index.byte(1), 2);
        assert_eq!(index.byte(2), 6);
        assert_eq!(&text[index.byte(2)..index.byte(3)], "a");
        // Backwards, as a quoted scalar's start after its overshooting end.
        assert_eq!(index.byte(1), 2);
        assert_eq!(index.byte(5), text.len());
        assert_eq!(index.byte(50), text.len());
    }
}
