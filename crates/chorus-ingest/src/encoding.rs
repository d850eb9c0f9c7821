//! Text that is not UTF-8: UTF-16 (with its byte-order mark, as Windows tools write it) is
//! decoded to UTF-8 as it streams; bytes that look like Latin-1 or Windows-1252 are named in
//! the rejection so the fix is plain.

use std::io::{self, BufRead, Read};

const UTF16_LE_BOM: [u8; 2] = [0xff, 0xfe];
const UTF16_BE_BOM: [u8; 2] = [0xfe, 0xff];

/// The encoding a stream's byte-order mark announces, if it is UTF-16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Utf16 {
    Little,
    Big,
}

impl Utf16 {
    pub(crate) fn from_bom(head: &[u8]) -> Option<Self> {
        if head.starts_with(&UTF16_LE_BOM) {
            Some(Utf16::Little)
        } else if head.starts_with(&UTF16_BE_BOM) {
            Some(Utf16::Big)
        } else {
            None
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Utf16::Little => "utf-16le",
            Utf16::Big => "utf-16be",
        }
    }
}

/// Streams UTF-16 as UTF-8, the byte-order mark dropped; a lone surrogate becomes U+FFFD.
pub(crate) struct Utf16Reader<R> {
    inner: R,
    order: Utf16,
    started: bool,
    /// Decoded bytes not yet handed out.
    pending: Vec<u8>,
    /// The first byte of a code unit split between two reads.
    carry: Option<u8>,
    /// A high surrogate waiting for its pair.
    high: Option<u16>,
}

impl<R: BufRead> Utf16Reader<R> {
    pub(crate) fn new(inner: R, order: Utf16) -> Self {
        Self {
            inner,
            order,
            started: false,
            pending: Vec::new(),
            carry: None,
            high: None,
        }
    }

    /// Decodes the inner stream's next buffer into `pending`; false at its end.
    fn refill(&mut self) -> io::Result<bool> {
        let chunk = self.inner.fill_buf()?;
        if chunk.is_empty() {
            if self.carry.take().is_some() | self.high.take().is_some() {
                self.pending
                    .extend_from_slice(char::REPLACEMENT_CHARACTER.to_string().as_bytes());
            }
            return Ok(false);
        }
        let mut bytes: Vec<u8> = self
            .carry
            .take()
            .into_iter()
            .chain(chunk.iter().copied())
            .collect();
        let consumed = chunk.len();
        self.inner.consume(consumed);
        if bytes.len() % 2 == 1 {
            self.carry = bytes.pop();
        }
        let order = self.order;
        let mut units: Vec<u16> = self
            .high
            .take()
            .into_iter()
            .chain(bytes.chunks_exact(2).map(|pair| match order {
                Utf16::Little => u16::from_le_bytes([pair[0], pair[1]]),
                Utf16::Big => u16::from_be_bytes([pair[0], pair[1]]),
            }))
            .collect();
        if !self.started && !units.is_empty() {
            self.started = true;
            if units[0] == 0xfeff {
                units.remove(0);
            }
        }
        if units
            .last()
            .is_some_and(|unit| (0xd800..0xdc00).contains(unit))
        {
            self.high = units.pop();
        }
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        self.pending.extend_from_slice(text.as_bytes());
        Ok(true)
    }
}

impl<R: BufRead> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            if !self.refill()? && self.pending.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// A hint for bytes that are not UTF-8: most such files are Latin-1 or Windows-1252.
pub(crate) fn not_utf8_hint(bytes: &[u8]) -> &'static str {
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    if high > 0 && std::str::from_utf8(bytes).is_err() {
        " (the bytes look like Latin-1 or Windows-1252: convert the file with \
         `iconv -f windows-1252 -t utf-8`)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, order: Utf16) -> Vec<u8> {
        let mut bytes = match order {
            Utf16::Little => UTF16_LE_BOM.to_vec(),
            Utf16::Big => UTF16_BE_BOM.to_vec(),
        };
        for unit in text.encode_utf16() {
            bytes.extend(match order {
                Utf16::Little => unit.to_le_bytes(),
                Utf16::Big => unit.to_be_bytes(),
            });
        }
        bytes
    }

    #[test]
    fn utf16_decodes_in_any_buffer_size() {
        let text = "{\"text\": \"Grüße, 你好 🎉\"}\n".repeat(50);
        for order in [Utf16::Little, Utf16::Big] {
            let bytes = utf16(&text, order);
            assert_eq!(Utf16::from_bom(&bytes), Some(order));
            for capacity in [1, 2, 3, 7, 64, 4096] {
                let inner = io::BufReader::with_capacity(capacity, &bytes[..]);
                let mut decoded = String::new();
                Utf16Reader::new(inner, order)
                    .read_to_string(&mut decoded)
                    .unwrap();
                assert_eq!(decoded, text, "{order:?} with a buffer of {capacity}");
            }
        }
    }

    #[test]
    fn latin1_is_named() {
        assert!(not_utf8_hint(b"caf\xe9").contains("Latin-1"));
        assert_eq!(not_utf8_hint("café".as_bytes()), "");
    }
}
