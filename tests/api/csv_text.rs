//! A CSV reader for tests, written apart from our writers so a test does
//! not trust what it checks.

/// A small CSV reader, written here so the test does not trust our writer:
/// rows end with CRLF, fields split on `sep`, a quoted field may hold the
/// separator and doubled quotes.
pub fn parse(text: &str, sep: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, c) if c == sep => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a row"),
            (_, c) => field.push(c),
        }
    }
    assert!(
        row.is_empty() && field.is_empty(),
        "the last row ends with CRLF"
    );
    rows
}
