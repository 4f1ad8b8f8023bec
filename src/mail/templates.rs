//! The email templates: minijinja, embedded in the binary with `include_str!`.
//!
//! Layout: `templates/<kind>/<locale>/{subject.txt,body.txt,body.html}.j2` per
//! kind (`nudge`, `manager_alerts`, `reminder`, `digest`) and locale (nb, en), each
//! locale written whole so that both read naturally; the HTML frame and the
//! chart pieces are shared (`_base.html.j2`, `_macros.html.j2`).
//!
//! `.html` templates are HTML-escaped; undefined variables are errors, so a
//! misspelt field fails the start-up smoke render instead of vanishing.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::views::{DigestView, ManagerAlertsView, NudgeView, ReminderView};
use super::{MailError, Rendered, samples};

/// The kinds of message, as in the template folder names.
pub const KINDS: &[&str] = &["nudge", "manager_alerts", "reminder", "digest"];
/// The locales every kind has templates for.
pub const LOCALES: &[&str] = &["nb", "en"];
/// The three parts of a message.
pub const PARTS: &[&str] = &["subject.txt.j2", "body.txt.j2", "body.html.j2"];

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

/// Every template, by name.
pub const SOURCES: &[(&str, &str)] = embed![
    "_base.html.j2",
    "_macros.html.j2",
    "nudge/nb/subject.txt.j2",
    "nudge/nb/body.txt.j2",
    "nudge/nb/body.html.j2",
    "nudge/en/subject.txt.j2",
    "nudge/en/body.txt.j2",
    "nudge/en/body.html.j2",
    "manager_alerts/nb/subject.txt.j2",
    "manager_alerts/nb/body.txt.j2",
    "manager_alerts/nb/body.html.j2",
    "manager_alerts/en/subject.txt.j2",
    "manager_alerts/en/body.txt.j2",
    "manager_alerts/en/body.html.j2",
    "reminder/nb/subject.txt.j2",
    "reminder/nb/body.txt.j2",
    "reminder/nb/body.html.j2",
    "reminder/en/subject.txt.j2",
    "reminder/en/body.txt.j2",
    "reminder/en/body.html.j2",
    "digest/nb/subject.txt.j2",
    "digest/nb/body.txt.j2",
    "digest/nb/body.html.j2",
    "digest/en/subject.txt.j2",
    "digest/en/body.txt.j2",
    "digest/en/body.html.j2",
];

/// The parsed templates. Build once at start-up with [`Templates::load`].
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("count", &self.env.templates().count())
            .finish()
    }
}

impl Templates {
    /// Parses every embedded template and renders each kind once with the
    /// sample views, so a syntax error, a missing template or a misspelt
    /// field stops the start-up with [`MailError::Template`] naming it.
    pub fn load() -> Result<Self, MailError> {
        let templates = Self::from_sources(SOURCES)?;
        templates.smoke_test()?;
        Ok(templates)
    }

    /// Parses `(name, source)` pairs; the error names the first template
    /// that does not parse, or the first kind/locale/part that is missing.
    pub fn from_sources(sources: &[(&'static str, &'static str)]) -> Result<Self, MailError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            // `body.html.j2`: our names are lowercase, and only HTML parts say "html".
            if name.contains(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("px", px);
        env.add_filter("textbar", textbar);
        env.add_filter("meter", meter);
        env.add_filter("pad", pad);
        env.add_filter("href", href);
        for (name, source) in sources {
            env.add_template(name, source)
                .map_err(|e| MailError::Template(format!("{name}: {e:#}")))?;
        }
        for kind in KINDS {
            for locale in LOCALES {
                for part in PARTS {
                    let name = format!("{kind}/{locale}/{part}");
                    if env.get_template(&name).is_err() {
                        return Err(MailError::Template(format!("{name}: missing")));
                    }
                }
            }
        }
        Ok(Self { env })
    }

    fn smoke_test(&self) -> Result<(), MailError> {
        for locale in [
            crate::domain::employee::Locale::Nb,
            crate::domain::employee::Locale::En,
        ] {
            self.nudge(&samples::nudge(locale))?;
            self.manager_alerts(&samples::manager_alerts(locale))?;
            self.reminder(&samples::reminder(locale))?;
            self.digest(&samples::digest(locale))?;
        }
        Ok(())
    }

    pub fn nudge(&self, v: &NudgeView) -> Result<Rendered, MailError> {
        self.render("nudge", &v.common.locale, v)
    }

    pub fn manager_alerts(&self, v: &ManagerAlertsView) -> Result<Rendered, MailError> {
        self.render("manager_alerts", &v.common.locale, v)
    }

    pub fn reminder(&self, v: &ReminderView) -> Result<Rendered, MailError> {
        self.render("reminder", &v.common.locale, v)
    }

    pub fn digest(&self, v: &DigestView) -> Result<Rendered, MailError> {
        self.render("digest", &v.common.locale, v)
    }

    fn render<S: Serialize>(
        &self,
        kind: &str,
        locale: &str,
        view: &S,
    ) -> Result<Rendered, MailError> {
        if !LOCALES.contains(&locale) {
            return Err(MailError::Template(format!(
                "{kind}: no templates for locale {locale:?}"
            )));
        }
        let ctx = Value::from_serialize(view);
        let part = |part: &str| {
            let name = format!("{kind}/{locale}/{part}");
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| MailError::Template(format!("{name}: {e:#}")))
        };
        Ok(Rendered {
            // One line whatever the template did: a newline would end the header.
            subject: part("subject.txt.j2")?
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            text: tidy_text(&part("body.txt.j2")?),
            html: part("body.html.j2")?.trim().to_owned() + "\n",
        })
    }
}

/// Strips trailing spaces and collapses runs of blank lines, which template
/// conditionals leave behind.
fn tidy_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `{{ pct|px(80) }}`: a percentage (clamped to 0..=100) of `max` pixels.
#[allow(clippy::needless_pass_by_value)] // minijinja filters take values.
fn px(pct: i64, max: i64) -> i64 {
    pct.clamp(0, 100) * max / 100
}

/// Cells of a 20-wide text bar.
const BAR_CELLS: i64 = 20;

fn cells(pct: i64) -> usize {
    usize::try_from((pct.clamp(0, 100) * BAR_CELLS + 50) / 100).unwrap_or(0)
}

/// `{{ b.worked_pct|textbar(b.overtime_pct, b.scheduled_pct) }}`: worked time
/// as `█`, its overtime part as `▓`, scheduled time not worked as `░`, padded
/// to a fixed width so the days line up.
fn textbar(worked_pct: i64, overtime_pct: i64, scheduled_pct: i64) -> String {
    let worked = cells(worked_pct);
    let overtime = cells(overtime_pct).min(worked);
    let missing = cells(scheduled_pct).saturating_sub(worked);
    let width = usize::try_from(BAR_CELLS).unwrap_or(20);
    let mut s = String::new();
    s.push_str(&"█".repeat(worked - overtime));
    s.push_str(&"▓".repeat(overtime));
    s.push_str(&"░".repeat(missing));
    let used = worked + missing;
    s.push_str(&" ".repeat(width.saturating_sub(used)));
    s
}

/// `{{ b.label|pad(5) }}`: left-aligned in `width` characters, for text columns.
#[allow(clippy::needless_pass_by_value)] // minijinja filters take values.
fn pad(s: String, width: usize) -> String {
    format!("{s:<width$}")
}

/// `href="{{ url|href }}"`: an http(s) URL for an attribute, escaped for HTML
/// but with its slashes intact (the default escaper writes `&#x2f;`); any
/// other scheme, such as `javascript:`, becomes `#`.
#[allow(clippy::needless_pass_by_value)] // minijinja filters take values.
fn href(url: String) -> Value {
    let lower = url.trim_start().to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Value::from_safe_string("#".to_owned());
    }
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    Value::from_safe_string(out)
}

/// `{{ l.pct|meter }}`: `[██████░░░░]`, ten cells, full at 100 %.
fn meter(pct: i64) -> String {
    let full = usize::try_from((pct.clamp(0, 100) + 5) / 10).unwrap_or(0);
    format!("[{}{}]", "█".repeat(full), "░".repeat(10 - full))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::employee::Locale;
    use crate::mail::views::{DigestView, ManagerAlertsView, NudgeView, ReminderView};

    fn templates() -> Templates {
        Templates::load().expect("the embedded templates load")
    }

    fn check(r: &Rendered, what: &str) {
        assert!(!r.subject.is_empty(), "{what}: empty subject");
        assert!(
            !r.subject.contains(['\n', '\r']),
            "{what}: subject {:?}",
            r.subject
        );
        assert!(r.subject.chars().count() < 120, "{what}: subject too long");
        assert!(r.text.trim().len() > 40, "{what}: text part too short");
        assert!(r.html.contains("<html"), "{what}: html part");
        assert!(
            !r.text.contains("{{") && !r.html.contains("{{"),
            "{what}: raw tags"
        );
        assert!(!r.text.contains('<'), "{what}: markup in the text part");
    }

    #[test]
    fn every_template_renders_in_both_locales() {
        let t = templates();
        for locale in [Locale::Nb, Locale::En] {
            let l = locale.as_str();
            check(
                &t.nudge(&samples::nudge(locale)).unwrap(),
                &format!("nudge/{l}"),
            );
            check(
                &t.manager_alerts(&samples::manager_alerts(locale)).unwrap(),
                &format!("manager_alerts/{l}"),
            );
            check(
                &t.reminder(&samples::reminder(locale)).unwrap(),
                &format!("reminder/{l}"),
            );
            check(
                &t.digest(&samples::digest(locale)).unwrap(),
                &format!("digest/{l}"),
            );
        }
    }

    #[test]
    fn the_views_figures_reach_both_parts() {
        let t = templates();
        let d = samples::digest(Locale::En);
        let r = t.digest(&d).unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains(&d.week_label));
            assert!(part.contains(&d.team_worked));
            assert!(part.contains(&d.team_home_share));
            for row in &d.reports {
                assert!(part.contains(&row.name.replace('&', "&amp;")) || part.contains(&row.name));
                assert!(part.contains(&row.worked));
                for l in &row.overtime {
                    assert!(part.contains(&l.used) && part.contains(&l.limit));
                }
                for w in &row.trend {
                    assert!(part.contains(&w.label));
                }
            }
        }
        assert!(r.text.contains('█'), "text bars");

        let v = samples::reminder(Locale::En);
        let r = t.reminder(&v).unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains(&v.clocked_in_at));
            assert!(part.contains(&v.suggested_end));
            assert!(part.contains(&v.interval_id));
        }
    }

    #[test]
    fn html_escapes_names() {
        let t = templates();
        let mut v = samples::nudge(Locale::Nb);
        v.common.first_name = "<script>alert(1)</script>".to_owned();
        v.items[0].seen[0].text = "a <b>bold</b> claim".to_owned();
        let r = t.nudge(&v).unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("<b>bold"));
        assert!(r.text.contains("<script>"), "the text part is not HTML");

        let mut d = samples::digest(Locale::En);
        d.reports[0].name = "<script>x</script>".to_owned();
        assert!(!t.digest(&d).unwrap().html.contains("<script>"));
    }

    #[test]
    fn the_mute_note_follows_mutable_note() {
        let t = templates();
        for locale in [Locale::Nb, Locale::En] {
            let mut v = samples::nudge(locale);
            v.mutable_note = true;
            let with = t.nudge(&v).unwrap();
            v.mutable_note = false;
            let without = t.nudge(&v).unwrap();
            let word = if locale == Locale::Nb {
                "Du kan skru av"
            } else {
                "You can mute"
            };
            assert!(with.text.contains(word) && with.html.contains(word));
            assert!(!without.text.contains(word) && !without.html.contains(word));
        }
    }

    /// Every view with its links taken out, as a deployment without a
    /// public URL renders it.
    fn without_links(locale: Locale) -> (NudgeView, ManagerAlertsView, ReminderView, DigestView) {
        let mut n = samples::nudge(locale);
        n.messages_link = None;
        for i in &mut n.items {
            i.link = None;
            i.mutes.clear();
        }
        let mut a = samples::manager_alerts(locale);
        a.team_link = None;
        for i in &mut a.items {
            i.link = None;
        }
        let mut r = samples::reminder(locale);
        r.day_link = None;
        let mut d = samples::digest(locale);
        d.team_link = None;
        for row in &mut d.reports {
            row.link = None;
        }
        for c in [&mut n.common, &mut a.common, &mut r.common, &mut d.common] {
            c.app_url = None;
        }
        (n, a, r, d)
    }

    #[test]
    fn links_appear_only_with_a_public_url() {
        let t = templates();
        for locale in [Locale::Nb, Locale::En] {
            let (nudge, alerts, reminder, digest) = without_links(locale);
            for m in [
                t.nudge(&nudge).unwrap(),
                t.manager_alerts(&alerts).unwrap(),
                t.reminder(&reminder).unwrap(),
                t.digest(&digest).unwrap(),
            ] {
                assert!(
                    !m.html.contains("href=") && !m.text.contains("http"),
                    "{}",
                    m.text
                );
            }
        }
    }

    #[test]
    #[allow(clippy::many_single_char_names)] // One view and its rendering per kind.
    fn every_email_links_to_where_the_reader_can_act() {
        let t = templates();
        for locale in [Locale::Nb, Locale::En] {
            let n = samples::nudge(locale);
            let r = t.nudge(&n).unwrap();
            let mut want: Vec<String> = n.items.iter().filter_map(|i| i.link.clone()).collect();
            want.extend(
                n.items
                    .iter()
                    .flat_map(|i| i.mutes.iter().map(|m| m.url.clone())),
            );
            want.extend(n.messages_link.clone());
            assert!(want.iter().any(|l| l.contains("#mute-night")), "{want:?}");
            for link in &want {
                assert!(r.text.contains(link.as_str()), "nudge text lacks {link}");
                assert!(
                    r.html.contains(&format!("href=\"{link}\"")),
                    "nudge html lacks {link}"
                );
            }

            let a = samples::manager_alerts(locale);
            let r = t.manager_alerts(&a).unwrap();
            let mut want: Vec<String> = a.items.iter().filter_map(|i| i.link.clone()).collect();
            want.extend(a.team_link.clone());
            assert!(want.iter().all(|l| l.starts_with(samples::BASE)));
            assert!(want.iter().filter(|l| l.contains("/people/")).count() == a.items.len());
            for link in &want {
                assert!(
                    r.text.contains(link.as_str()) && r.html.contains(&format!("href=\"{link}\""))
                );
            }

            let v = samples::reminder(locale);
            let r = t.reminder(&v).unwrap();
            let link = v.day_link.clone().unwrap();
            assert!(link.ends_with("/time/2026-11-17"));
            assert!(r.text.contains(&link) && r.html.contains(&format!("href=\"{link}\"")));

            let d = samples::digest(locale);
            let r = t.digest(&d).unwrap();
            let mut want: Vec<String> = d.reports.iter().filter_map(|x| x.link.clone()).collect();
            want.extend(d.team_link.clone());
            assert_eq!(want.len(), 3);
            for link in &want {
                assert!(
                    r.text.contains(link.as_str()) && r.html.contains(&format!("href=\"{link}\""))
                );
            }
        }
    }

    #[test]
    fn greetings_use_the_first_name() {
        let t = templates();
        let r = t.nudge(&samples::nudge(Locale::Nb)).unwrap();
        assert!(r.text.starts_with("Hei Kari,\n"), "{}", r.text);
        assert!(r.html.contains("Hei Kari,"));
        let r = t.digest(&samples::digest(Locale::En)).unwrap();
        assert!(r.text.starts_with("Hi Ola,\n"), "{}", r.text);
        let mut v = samples::reminder(Locale::Nb);
        v.common.first_name = String::new();
        assert!(t.reminder(&v).unwrap().text.starts_with("Hei,\n"));
    }

    #[test]
    fn no_email_shows_an_internal_rule_id() {
        let t = templates();
        for locale in [Locale::Nb, Locale::En] {
            for r in [
                t.nudge(&samples::nudge(locale)).unwrap(),
                t.manager_alerts(&samples::manager_alerts(locale)).unwrap(),
                t.reminder(&samples::reminder(locale)).unwrap(),
                t.digest(&samples::digest(locale)).unwrap(),
            ] {
                for part in [&r.subject, &r.text, &r.html] {
                    let ids: Vec<&str> = part
                        .split(|c: char| c.is_whitespace() || c == '>' || c == '<')
                        .filter(|w| super::super::copy::is_rule_id(w))
                        .collect();
                    assert!(ids.is_empty(), "{ids:?} in {part}");
                }
            }
        }
    }

    #[test]
    fn an_item_lists_each_finding_about_the_same_hours() {
        let t = templates();
        let v = samples::nudge(Locale::Nb);
        assert_eq!(v.items[0].seen.len(), 2);
        let r = t.nudge(&v).unwrap();
        assert!(
            r.text.contains("Det vi så:\n- For kort hvile: "),
            "{}",
            r.text
        );
        assert!(r.text.contains("- Arbeid om natten: "), "{}", r.text);
        assert_eq!(r.text.matches("## ").count(), 2, "two items, not three");
        assert_eq!(
            r.subject,
            "Om arbeidstiden din: For kort hvile og 1 ting til"
        );
    }

    #[test]
    fn hrefs_keep_slashes_and_refuse_other_schemes() {
        assert_eq!(
            href("https://x.no/a?b=1&c=\"2\"".to_owned()).to_string(),
            "https://x.no/a?b=1&amp;c=&quot;2&quot;"
        );
        assert_eq!(href("javascript:alert(1)".to_owned()).to_string(), "#");
    }

    #[test]
    fn an_unknown_locale_is_a_template_error() {
        let mut v = samples::reminder(Locale::En);
        v.common.locale = "de".to_owned();
        assert!(
            matches!(templates().reminder(&v), Err(MailError::Template(m)) if m.contains("de"))
        );
    }

    #[test]
    fn a_broken_template_fails_loading_and_is_named() {
        let mut sources = SOURCES.to_vec();
        sources[3] = (
            "nudge/nb/body.txt.j2",
            "Hei {{ common.recipient_name }\n{% for x in items %}",
        );
        match Templates::from_sources(&sources) {
            Err(MailError::Template(m)) => assert!(m.contains("nudge/nb/body.txt.j2"), "{m}"),
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_template_fails_loading() {
        let sources: Vec<_> = SOURCES
            .iter()
            .copied()
            .filter(|(n, _)| *n != "digest/en/subject.txt.j2")
            .collect();
        match Templates::from_sources(&sources) {
            Err(MailError::Template(m)) => assert!(m.contains("digest/en/subject.txt.j2"), "{m}"),
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn a_misspelt_field_fails_rendering() {
        let mut sources = SOURCES.to_vec();
        sources[2] = ("nudge/nb/subject.txt.j2", "{{ common.recipent_name }}");
        let t = Templates::from_sources(&sources).unwrap();
        match t.smoke_test() {
            Err(MailError::Template(m)) => assert!(m.contains("nudge/nb/subject.txt.j2"), "{m}"),
            other => panic!("expected a template error, got {other:?}"),
        }
    }

    #[test]
    fn every_embedded_template_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mail/templates");
        let mut on_disk = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    on_disk.push(p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<_> = SOURCES.iter().map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn text_bars_have_a_fixed_width() {
        assert_eq!(textbar(100, 0, 0).chars().count(), 20);
        assert_eq!(
            textbar(50, 10, 75),
            format!(
                "{}{}{}{}",
                "█".repeat(8),
                "▓".repeat(2),
                "░".repeat(5),
                " ".repeat(5)
            )
        );
        assert_eq!(textbar(0, 0, 0), " ".repeat(20));
        assert_eq!(meter(35), "[████░░░░░░]");
        assert_eq!(meter(250), "[██████████]");
        assert_eq!(px(150, 80), 80);
        assert_eq!(px(-3, 80), 0);
    }
}
