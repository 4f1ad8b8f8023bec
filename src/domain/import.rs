//! Importing employees from a CSV file an HR system exported: reading the
//! file ([`parse_csv`]), judging every row against the organisation's
//! employees ([`plan`]) and ordering the writes so a manager exists before
//! their reports ([`writes`]). Pure: the web page, the gRPC call and the
//! command line all run these, so a preview and the import agree.
//!
//! Rows are keyed by external id: a row whose external id is stored updates
//! that employee, or leaves them unchanged when nothing differs; so
//! importing the same file twice is importing it once.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono_tz::Tz;

use super::employee::{self, DEFAULT_RULE_PACK, DEFAULT_TIME_ZONE, FieldError, Locale, RulePack};

/// Largest file accepted, in bytes.
pub const MAX_BYTES: usize = 1_000_000;
/// Most data rows accepted in one import.
pub const MAX_ROWS: usize = 5_000;

/// The columns read, by header name; others are ignored (HR exports carry
/// many). The first three are required.
pub const COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "email",
    "time_zone",
    "manager_external_id",
    "locale",
    "rule_pack",
    "department",
];
/// Columns the header must have.
pub const REQUIRED_COLUMNS: &[&str] = &["external_id", "name", "email"];

/// One data row as written in the file (or sent in `ImportEmployees`),
/// every value a string; empty means not given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawRow {
    /// The row's number as a spreadsheet shows it: the header is row 1.
    pub row: u32,
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub manager_external_id: String,
    pub locale: String,
    pub rule_pack: String,
    pub department: String,
}

/// Why a whole file is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    TooLarge {
        max: usize,
    },
    NotUtf8,
    Empty,
    MissingColumn(&'static str),
    DuplicateColumn(String),
    TooManyRows {
        max: usize,
    },
    UnclosedQuote {
        row: u32,
    },
    FieldCount {
        row: u32,
        found: usize,
        header: usize,
    },
}

impl FileProblem {
    /// The problem in words, in `locale`.
    #[must_use]
    pub fn text(&self, locale: Locale) -> String {
        let nb = locale == Locale::Nb;
        match self {
            Self::TooLarge { max } => {
                if nb {
                    format!("Filen er større enn {max} byte.")
                } else {
                    format!("The file is larger than {max} bytes.")
                }
            }
            Self::NotUtf8 => if nb {
                "Filen er ikke UTF-8. Lagre den som «CSV UTF-8» og prøv igjen."
            } else {
                "The file is not UTF-8. Save it as \"CSV UTF-8\" and try again."
            }
            .to_owned(),
            Self::Empty => if nb {
                "Filen er tom."
            } else {
                "The file is empty."
            }
            .to_owned(),
            Self::MissingColumn(c) => {
                if nb {
                    format!("Overskriftsraden mangler kolonnen {c}.")
                } else {
                    format!("The header row has no column {c}.")
                }
            }
            Self::DuplicateColumn(c) => {
                if nb {
                    format!("Kolonnen {c} står to ganger i overskriftsraden.")
                } else {
                    format!("The column {c} appears twice in the header row.")
                }
            }
            Self::TooManyRows { max } => {
                if nb {
                    format!("Filen har mer enn {max} rader.")
                } else {
                    format!("The file has more than {max} rows.")
                }
            }
            Self::UnclosedQuote { row } => {
                if nb {
                    format!("Rad {row}: et anførselstegn lukkes aldri.")
                } else {
                    format!("Row {row}: a quotation mark is never closed.")
                }
            }
            Self::FieldCount { row, found, header } => {
                if nb {
                    format!("Rad {row} har {found} felt; overskriftsraden har {header}.")
                } else {
                    format!("Row {row} has {found} fields; the header row has {header}.")
                }
            }
        }
    }
}

/// Splits `text` into records of fields (RFC 4180 quoting, `sep` between
/// fields, CRLF or LF between records). Returns each record with the row
/// number it starts on.
fn records(text: &str, sep: char) -> Result<Vec<(u32, Vec<String>)>, FileProblem> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut row: u32 = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    row += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            c if c == sep => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                row += 1;
                start = row;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(FileProblem::UnclosedQuote { row: start });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    // Blank lines (a trailing newline, an empty line in between) are no rows.
    out.retain(|(_, f)| !(f.len() == 1 && f[0].trim().is_empty()));
    Ok(out)
}

/// The separator of a file: `;` when the header line has more semicolons
/// than commas (a Norwegian spreadsheet's export), otherwise `,`.
#[must_use]
pub fn separator(text: &str) -> char {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() {
        ';'
    } else {
        ','
    }
}

/// Reads a CSV file: UTF-8 with or without a byte order mark, `,` or `;`
/// between fields, columns found by header name (case and surrounding
/// spaces ignored).
///
/// # Errors
/// A [`FileProblem`] when the file as a whole cannot be read.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<RawRow>, FileProblem> {
    if bytes.len() > MAX_BYTES {
        return Err(FileProblem::TooLarge { max: MAX_BYTES });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FileProblem::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut recs = records(text, separator(text))?.into_iter();
    let Some((_, header)) = recs.next() else {
        return Err(FileProblem::Empty);
    };
    let mut at: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let name = h.trim().to_ascii_lowercase();
        if let Some(known) = COLUMNS.iter().find(|c| **c == name)
            && at.insert(known, i).is_some()
        {
            return Err(FileProblem::DuplicateColumn(name));
        }
    }
    if let Some(missing) = REQUIRED_COLUMNS.iter().find(|c| !at.contains_key(*c)) {
        return Err(FileProblem::MissingColumn(missing));
    }
    let mut rows = Vec::new();
    for (row, fields) in recs {
        if rows.len() == MAX_ROWS {
            return Err(FileProblem::TooManyRows { max: MAX_ROWS });
        }
        if fields.len() != header.len() {
            return Err(FileProblem::FieldCount {
                row,
                found: fields.len(),
                header: header.len(),
            });
        }
        let get = |c: &str| {
            at.get(c)
                .map(|i| fields[*i].trim().to_owned())
                .unwrap_or_default()
        };
        rows.push(RawRow {
            row,
            external_id: get("external_id"),
            name: get("name"),
            email: get("email"),
            time_zone: get("time_zone"),
            manager_external_id: get("manager_external_id"),
            locale: get("locale"),
            rule_pack: get("rule_pack"),
            department: get("department"),
        });
    }
    Ok(rows)
}

/// What is wrong with one field of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    Required,
    TooLong,
    ControlCharacters,
    NotEmail,
    UnknownTimeZone,
    UnknownLocale,
    UnknownRulePack,
    /// The same external id is in another row of the file.
    DuplicateExternalId {
        other_row: u32,
    },
    /// Neither stored nor a row of the file that can be imported.
    UnknownManager,
    /// The management chain would come back to the employee.
    ManagerCycle,
    /// Another employee has this external id already.
    Taken,
    /// Anything else: said in the validation's own (English) words.
    Other,
}

impl ProblemKind {
    /// The kind of a validation's answer for `field` (as `CreateEmployee`
    /// and `UpdateEmployee` name fields), so a form can say it in bokmål.
    #[must_use]
    pub fn classify(field: &str, reason: &str) -> Self {
        let field = field.rsplit('.').next().unwrap_or(field);
        if reason == "is required" {
            Self::Required
        } else if reason.starts_with("is longer") {
            Self::TooLong
        } else if reason.contains("control characters") {
            Self::ControlCharacters
        } else if reason.contains("own (indirect) manager") {
            Self::ManagerCycle
        } else if reason.contains("already") || reason.contains("taken") {
            Self::Taken
        } else {
            match field {
                "email" => Self::NotEmail,
                "time_zone" => Self::UnknownTimeZone,
                "rule_pack" => Self::UnknownRulePack,
                "locale" => Self::UnknownLocale,
                "manager_id" | "manager_external_id" => Self::UnknownManager,
                _ => Self::Other,
            }
        }
    }
}

/// A problem of one row, naming the column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub kind: ProblemKind,
    /// The validation's own words (English), as the API reports them.
    pub reason: String,
}

impl Problem {
    fn of(field: &'static str, e: &FieldError) -> Self {
        Self {
            kind: ProblemKind::classify(field, &e.reason),
            field,
            reason: e.reason.clone(),
        }
    }

    fn new(field: &'static str, kind: ProblemKind, reason: String) -> Self {
        Self {
            field,
            kind,
            reason,
        }
    }

    /// The problem in words, in `locale`.
    #[must_use]
    pub fn text(&self, locale: Locale) -> String {
        self.kind.text(locale, &self.reason)
    }
}

impl ProblemKind {
    /// The problem in words: in English the validation's own `reason`.
    #[must_use]
    pub fn text(&self, locale: Locale, reason: &str) -> String {
        if locale == Locale::En {
            return reason.to_owned();
        }
        match self {
            ProblemKind::Required => "mangler".to_owned(),
            ProblemKind::TooLong => "er for lang".to_owned(),
            ProblemKind::ControlCharacters => "inneholder kontrolltegn".to_owned(),
            ProblemKind::NotEmail => "er ikke en e-postadresse".to_owned(),
            ProblemKind::UnknownTimeZone => {
                "er ikke en IANA-tidssone (for eksempel Europe/Oslo)".to_owned()
            }
            ProblemKind::UnknownLocale => "må være nb eller en".to_owned(),
            ProblemKind::UnknownRulePack => format!(
                "er ikke en kjent regelpakke ({})",
                employee::RULE_PACKS.join(", ")
            ),
            ProblemKind::DuplicateExternalId { other_row } => {
                format!("står også i rad {other_row}")
            }
            ProblemKind::UnknownManager => {
                "er verken en ansatt eller en rad som kan importeres".to_owned()
            }
            ProblemKind::ManagerCycle => {
                "ville gjort den ansatte til sin egen (indirekte) leder".to_owned()
            }
            ProblemKind::Taken => "er allerede i bruk av en annen ansatt".to_owned(),
            ProblemKind::Other => reason.to_owned(),
        }
    }
}

/// An employee as the import compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub time_zone: Tz,
    pub manager_external_id: Option<String>,
    pub locale: Locale,
    pub rule_pack: RulePack,
    /// `None`: no department.
    pub department: Option<String>,
}

/// What an import does with a valid row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

impl Action {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Unchanged => "unchanged",
        }
    }
}

/// The verdict on one row: problems, or what will happen and the fields
/// the employee will have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowPlan {
    pub row: u32,
    pub external_id: String,
    pub problems: Vec<Problem>,
    /// `None` when the row has problems: it is skipped.
    pub action: Option<Action>,
    pub target: Option<Current>,
}

impl RowPlan {
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The value of a check, or `None` with its problem noted.
fn keep<T>(
    problems: &mut Vec<Problem>,
    field: &'static str,
    res: Result<T, FieldError>,
) -> Option<T> {
    match res {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(Problem::of(field, &e));
            None
        }
    }
}

/// A row's own fields, checked with the same rules as `CreateEmployee`.
/// Unset optional columns keep a stored employee's value, or take the
/// defaults for a new one.
fn check_fields(r: &RawRow, stored: Option<&Current>) -> (Option<Current>, Vec<Problem>) {
    let mut problems = Vec::new();
    let external_id = keep(
        &mut problems,
        "external_id",
        employee::parse_external_id("external_id", &r.external_id),
    );
    let name = keep(&mut problems, "name", employee::parse_name("name", &r.name));
    let email = keep(
        &mut problems,
        "email",
        employee::parse_email("email", &r.email),
    );
    let time_zone = match (r.time_zone.trim(), stored) {
        ("", Some(s)) => Some(s.time_zone),
        (given, _) => keep(
            &mut problems,
            "time_zone",
            employee::parse_time_zone(
                "time_zone",
                if given.is_empty() {
                    DEFAULT_TIME_ZONE
                } else {
                    given
                },
            ),
        ),
    };
    let rule_pack = match (r.rule_pack.trim(), stored) {
        ("", Some(s)) => Some(s.rule_pack),
        (given, _) => keep(
            &mut problems,
            "rule_pack",
            employee::parse_rule_pack(
                "rule_pack",
                if given.is_empty() {
                    DEFAULT_RULE_PACK
                } else {
                    given
                },
            ),
        ),
    };
    let locale = match (r.locale.trim(), stored) {
        ("", Some(s)) => Some(s.locale),
        ("", None) => Some(Locale::Nb),
        (given, _) => {
            let l = Locale::parse(&given.to_ascii_lowercase());
            if l.is_none() {
                problems.push(Problem::new(
                    "locale",
                    ProblemKind::UnknownLocale,
                    format!("'{given}' is not a language; one of nb, en"),
                ));
            }
            l
        }
    };
    // Like the other optional columns, an empty department keeps what is
    // stored: an HR export that leaves the column blank must not strip a
    // safety representative's scope from everyone.
    let department = match (r.department.trim(), stored) {
        ("", Some(s)) => Some(s.department.clone()),
        (given, _) => keep(
            &mut problems,
            "department",
            employee::parse_department("department", given),
        ),
    };
    let manager = r.manager_external_id.trim();
    let target = match (
        external_id,
        name,
        email,
        time_zone,
        rule_pack,
        locale,
        department,
    ) {
        (
            Some(external_id),
            Some(name),
            Some(email),
            Some(time_zone),
            Some(rule_pack),
            Some(locale),
            Some(department),
        ) if problems.is_empty() => Some(Current {
            external_id,
            name,
            email,
            time_zone,
            manager_external_id: (!manager.is_empty()).then(|| manager.to_owned()),
            locale,
            rule_pack,
            department,
        }),
        _ => None,
    };
    (target, problems)
}

/// Judges every row against the stored employees (`stored`, all of the
/// organisation's, active or not): its fields, duplicates in the file,
/// managers that exist (stored, or a valid row of the file) and chains of
/// managers that would loop. Rows come back in the file's order.
#[must_use]
pub fn plan(rows: &[RawRow], stored: &[Current]) -> Vec<RowPlan> {
    let by_id: HashMap<&str, &Current> =
        stored.iter().map(|c| (c.external_id.as_str(), c)).collect();
    let mut first_row: HashMap<&str, Vec<u32>> = HashMap::new();
    for r in rows {
        let key = r.external_id.trim();
        if !key.is_empty() {
            first_row.entry(key).or_default().push(r.row);
        }
    }
    let mut plans: Vec<RowPlan> = rows
        .iter()
        .map(|r| {
            let key = r.external_id.trim();
            let (target, mut problems) = check_fields(r, by_id.get(key).copied());
            if let Some(other) = first_row
                .get(key)
                .and_then(|rs| rs.iter().find(|n| **n != r.row))
            {
                problems.push(Problem::new(
                    "external_id",
                    ProblemKind::DuplicateExternalId { other_row: *other },
                    format!("'{key}' is also in row {other}"),
                ));
            }
            RowPlan {
                row: r.row,
                external_id: key.to_owned(),
                target: if problems.is_empty() { target } else { None },
                problems,
                action: None,
            }
        })
        .collect();
    // A manager must be stored or a valid row; refusing a row can leave
    // another without its manager, so repeat until nothing changes.
    loop {
        let valid: HashSet<String> = plans
            .iter()
            .filter(|p| p.is_valid())
            .map(|p| p.external_id.clone())
            .collect();
        let mut changed = false;
        for p in plans.iter_mut().filter(|p| p.is_valid()) {
            let Some(m) = p
                .target
                .as_ref()
                .and_then(|t| t.manager_external_id.clone())
            else {
                continue;
            };
            if !by_id.contains_key(m.as_str()) && !valid.contains(&m) {
                p.problems.push(Problem::new(
                    "manager_external_id",
                    ProblemKind::UnknownManager,
                    format!(
                        "'{m}' is neither an employee nor a row of this file that can be imported"
                    ),
                ));
                p.target = None;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Chains after the import: stored managers, replaced by the file's.
    let mut chain: HashMap<String, Option<String>> = stored
        .iter()
        .map(|c| (c.external_id.clone(), c.manager_external_id.clone()))
        .collect();
    for t in plans.iter().filter_map(|p| p.target.as_ref()) {
        chain.insert(t.external_id.clone(), t.manager_external_id.clone());
    }
    for p in &mut plans {
        let Some(t) = &p.target else { continue };
        if loops(&chain, &t.external_id) {
            p.problems.push(Problem::new(
                "manager_external_id",
                ProblemKind::ManagerCycle,
                "would make the employee their own (indirect) manager".into(),
            ));
            p.target = None;
        }
    }
    for p in &mut plans {
        p.action = p
            .target
            .as_ref()
            .map(|t| match by_id.get(t.external_id.as_str()) {
                None => Action::Create,
                Some(s) if *s == t => Action::Unchanged,
                Some(_) => Action::Update,
            });
    }
    plans
}

/// Whether following managers from `start` comes back to it.
fn loops(chain: &HashMap<String, Option<String>>, start: &str) -> bool {
    let mut seen = HashSet::new();
    let mut at = chain.get(start).cloned().flatten();
    while let Some(m) = at {
        if m == start {
            return true;
        }
        if !seen.insert(m.clone()) {
            return false; // a loop above, not through `start`
        }
        at = chain.get(&m).cloned().flatten();
    }
    false
}

/// The writes of a plan, managers before their reports: the valid rows
/// that create or update, ordered by how far up the file their chain of
/// managers reaches.
#[must_use]
pub fn writes(plans: &[RowPlan]) -> Vec<(Action, Current)> {
    let in_file: BTreeMap<&str, Option<&str>> = plans
        .iter()
        .filter_map(|p| p.target.as_ref())
        .map(|t| (t.external_id.as_str(), t.manager_external_id.as_deref()))
        .collect();
    let depth = |id: &str| {
        let mut d = 0usize;
        let mut at = in_file.get(id).copied().flatten();
        while let Some(m) = at {
            if d > in_file.len() {
                break;
            }
            d += 1;
            at = in_file.get(m).copied().flatten();
        }
        d
    };
    let mut out: Vec<(usize, Action, Current)> = plans
        .iter()
        .filter_map(|p| match (p.action, &p.target) {
            (Some(a @ (Action::Create | Action::Update)), Some(t)) => {
                Some((depth(&t.external_id), a, t.clone()))
            }
            _ => None,
        })
        .collect();
    out.sort_by_key(|(d, _, _)| *d);
    out.into_iter().map(|(_, a, t)| (a, t)).collect()
}

/// Counts of a plan: (create, update, unchanged, skipped).
#[must_use]
pub fn counts(plans: &[RowPlan]) -> (usize, usize, usize, usize) {
    let n = |a| plans.iter().filter(|p| p.action == Some(a)).count();
    (
        n(Action::Create),
        n(Action::Update),
        n(Action::Unchanged),
        plans.iter().filter(|p| !p.is_valid()).count(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "external_id,name,email,time_zone,manager_external_id\n";

    fn rows(body: &str) -> Vec<RawRow> {
        parse_csv(format!("{HEADER}{body}").as_bytes()).unwrap()
    }

    /// Applies the writes to `stored`, as the use case does to the database.
    fn apply(stored: &mut Vec<Current>, plans: &[RowPlan]) {
        for (_, t) in writes(plans) {
            match stored.iter_mut().find(|c| c.external_id == t.external_id) {
                Some(c) => *c = t,
                None => stored.push(t),
            }
        }
    }

    #[test]
    #[allow(clippy::format_collect)] // a test's input, built once
    fn semicolons_a_bom_quotes_and_crlf_are_read() {
        let file = "\u{feff}Name;External_ID;Email;Department\r\n\"Berg; Kari\";E1;kari@example.no;\"Sales \"\"North\"\"\"\r\n\r\n";
        let r = parse_csv(file.as_bytes()).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].row, 2);
        assert_eq!(r[0].name, "Berg; Kari");
        assert_eq!(r[0].external_id, "E1");
        assert_eq!(r[0].email, "kari@example.no");
        assert_eq!(r[0].time_zone, "");
        assert_eq!(r[0].department, "Sales \"North\"");
    }

    #[test]
    fn a_department_is_set_kept_when_empty_and_checked() {
        let file = "external_id,name,email,department\nE1,Kari,k@x.no,Lager\nE2,Ola,o@x.no,\n";
        let r = parse_csv(file.as_bytes()).unwrap();
        let first = plan(&r, &[]);
        assert_eq!(
            first[0].target.as_ref().unwrap().department.as_deref(),
            Some("Lager")
        );
        assert_eq!(first[1].target.as_ref().unwrap().department, None);
        // Stored in Lager and in Salg, an empty column keeps both.
        let mut stored: Vec<Current> = first.iter().filter_map(|p| p.target.clone()).collect();
        stored[1].department = Some("Salg".into());
        let again = plan(&r, &stored);
        assert_eq!(again[0].action, Some(Action::Unchanged));
        assert_eq!(again[1].action, Some(Action::Unchanged));
        assert_eq!(
            again[1].target.as_ref().unwrap().department.as_deref(),
            Some("Salg")
        );
        let long = format!(
            "external_id,name,email,department\nE1,Kari,k@x.no,{}\n",
            "x".repeat(101)
        );
        let p = plan(&parse_csv(long.as_bytes()).unwrap(), &[]);
        assert_eq!(p[0].problems[0].field, "department");
        assert_eq!(p[0].problems[0].kind, ProblemKind::TooLong);
    }

    #[test]
    fn a_missing_required_column_refuses_the_file() {
        assert_eq!(
            parse_csv(b"external_id,name\nE1,Kari\n"),
            Err(FileProblem::MissingColumn("email"))
        );
        assert_eq!(parse_csv(b""), Err(FileProblem::Empty));
        assert_eq!(parse_csv(&[0xff, 0xfe, 0x41]), Err(FileProblem::NotUtf8));
        assert_eq!(
            parse_csv(b"external_id,name,email\nE1,\"Kari,a@b.no\n"),
            Err(FileProblem::UnclosedQuote { row: 2 })
        );
        assert_eq!(
            parse_csv(b"external_id,name,email\nE1,Kari\n"),
            Err(FileProblem::FieldCount {
                row: 2,
                found: 2,
                header: 3
            })
        );
        assert_eq!(
            parse_csv(b"email,name,Email\n"),
            Err(FileProblem::DuplicateColumn("email".into()))
        );
        assert_eq!(
            FileProblem::MissingColumn("email").text(Locale::Nb),
            "Overskriftsraden mangler kolonnen email."
        );
    }

    #[test]
    fn each_bad_field_is_named_with_its_row() {
        let r = rows(
            "E1,Kari,kari-at-example.no,,\n\
             E2,Ola,ola@example.no,Mars/Olympus,\n\
             E3,Per,per@example.no,,NOBODY\n\
             ,Anne,anne@example.no,,\n",
        );
        let p = plan(&r, &[]);
        let got: Vec<(u32, &str, ProblemKind)> = p
            .iter()
            .flat_map(|p| p.problems.iter().map(|q| (p.row, q.field, q.kind.clone())))
            .collect();
        assert_eq!(
            got,
            [
                (2, "email", ProblemKind::NotEmail),
                (3, "time_zone", ProblemKind::UnknownTimeZone),
                (4, "manager_external_id", ProblemKind::UnknownManager),
                (5, "external_id", ProblemKind::Required),
            ]
        );
        assert_eq!(
            p[0].problems[0].text(Locale::Nb),
            "er ikke en e-postadresse"
        );
        assert_eq!(
            p[0].problems[0].text(Locale::En),
            "'kari-at-example.no' is not an email address (no '@')"
        );
        assert!(p.iter().all(|p| p.action.is_none()));
    }

    #[test]
    fn a_duplicate_external_id_refuses_both_rows() {
        let p = plan(&rows("E1,Kari,k@x.no,,\nE1,Kari B,k@x.no,,\n"), &[]);
        assert_eq!(
            p[0].problems[0].kind,
            ProblemKind::DuplicateExternalId { other_row: 3 }
        );
        assert_eq!(
            p[1].problems[0].kind,
            ProblemKind::DuplicateExternalId { other_row: 2 }
        );
        assert_eq!(p[1].problems[0].text(Locale::Nb), "står også i rad 2");
    }

    #[test]
    fn a_report_of_a_refused_manager_is_refused_too() {
        let p = plan(&rows("M1,Mona,bad,,\nE1,Kari,k@x.no,,M1\n"), &[]);
        assert_eq!(p[1].problems[0].kind, ProblemKind::UnknownManager);
    }

    #[test]
    fn managers_in_a_loop_are_refused() {
        let p = plan(&rows("A,A,a@x.no,,B\nB,B,b@x.no,,A\nC,C,c@x.no,,C\n"), &[]);
        assert!(
            p.iter()
                .all(|p| p.problems[0].kind == ProblemKind::ManagerCycle),
            "{p:?}"
        );
    }

    #[test]
    fn managers_are_written_before_their_reports() {
        let p = plan(
            &rows("E1,Kari,k@x.no,,M2\nM2,Mona,m@x.no,,M1\nM1,Boss,b@x.no,,\n"),
            &[],
        );
        let order: Vec<String> = writes(&p).into_iter().map(|(_, t)| t.external_id).collect();
        assert_eq!(order, ["M1", "M2", "E1"]);
    }

    #[test]
    fn a_second_import_changes_nothing_and_blank_optional_columns_keep_values() {
        let r = rows("E1,Kari,k@x.no,Europe/Berlin,\nE2,Ola,o@x.no,,E1\n");
        let mut stored = Vec::new();
        let first = plan(&r, &stored);
        assert_eq!(counts(&first), (2, 0, 0, 0));
        apply(&mut stored, &first);
        assert_eq!(counts(&plan(&r, &stored)), (0, 0, 2, 0));
        let again = rows("E1,Kari Berg,k@x.no,,\n");
        let p = plan(&again, &stored);
        assert_eq!(p[0].action, Some(Action::Update));
        assert_eq!(
            p[0].target.as_ref().unwrap().time_zone,
            chrono_tz::Europe::Berlin
        );
    }

    fn raw_row() -> impl Strategy<Value = (u8, u8, u8, u8)> {
        // external id, name variant, email validity, manager (0 = none).
        (0u8..8, 0u8..3, 0u8..4, 0u8..9)
    }

    #[allow(clippy::format_collect)] // a test's input
    mod prop {
        use super::*;
        proptest! {
            /// Importing a file twice is importing it once: the second plan
            /// creates and updates nothing, and no external id is stored twice.
            #[test]
            fn importing_twice_is_importing_once(spec in proptest::collection::vec(raw_row(), 0..20)) {
                let body: String = spec
                    .iter()
                    .map(|(id, name, mail, mgr)| {
                        let email = if *mail == 0 { "bad".to_owned() } else { format!("e{id}@x.no") };
                        let manager = if *mgr == 0 { String::new() } else { format!("E{}", mgr - 1) };
                        format!("E{id},Name {name},{email},,{manager}\n")
                    })
                    .collect();
                let r = rows(&body);
                let mut stored = Vec::new();
                let first = plan(&r, &stored);
                apply(&mut stored, &first);
                let second = plan(&r, &stored);
                let (create, update, _, _) = counts(&second);
                prop_assert_eq!((create, update), (0, 0));
                let ids: HashSet<&str> = stored.iter().map(|c| c.external_id.as_str()).collect();
                prop_assert_eq!(ids.len(), stored.len());
                prop_assert_eq!(stored.len(), first.iter().filter(|p| p.is_valid()).count());
            }
        }
    }
}
