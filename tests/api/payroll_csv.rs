//! The payroll CSV in both dialects on both back-ends: the same rows and
//! figures, spelt for a payroll system (RFC 4180) or for Excel with
//! Norwegian settings (excel-nb: semicolon, decimal comma, BOM, CRLF);
//! open findings in their own column; a dialect the server does not know
//! is refused by name.

use chrono::{TimeZone as _, Utc};
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tonic::Code;

use crate::helpers::*;
use crate::payroll::{day, oslo, payroll, post, staff, totals};

use pb::EventKind::ClockIn;

const RFC: i32 = pb::CsvDialect::Rfc4180 as i32;
const EXCEL: i32 = pb::CsvDialect::ExcelNb as i32;

/// The whole CSV of October and the cursor of every chunk.
async fn export(
    app: &TestApp,
    dialect: i32,
    cursor: &str,
) -> Result<(Vec<u8>, Vec<String>), tonic::Status> {
    let mut stream = payroll(app, &app.admin_token)
        .export_totals_csv(pb::ExportTotalsCsvRequest {
            period_id: "2026-10".into(),
            filter: None,
            cursor: cursor.into(),
            dialect,
        })
        .await?
        .into_inner();
    let (mut bytes, mut cursors) = (Vec::new(), Vec::new());
    while let Some(m) = stream.message().await? {
        bytes.extend_from_slice(&m.chunk);
        cursors.push(m.cursor);
    }
    Ok((bytes, cursors))
}

const HEADER: [&str; 12] = [
    "period_id",
    "employee_id",
    "external_id",
    "pay_code",
    "category",
    "rate_percent",
    "absence_kind",
    "minutes",
    "hours",
    "open_findings",
    "adjusts_period_id",
    "adjustment_reason",
];

async fn both_dialects_parse_back_to_the_same_figures(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    // An external id with the excel-nb separator and a letter beyond ASCII.
    let now = app.clock.now();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 9, 1, 6, 0, 0).unwrap());
    let ola = app
        .admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "Lønn;7".into(),
            name: "Ola Nordmann".into(),
            email: "ola@example.no".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    app.clock.set(now);
    let (k, o) = (&kari.employee_id, &ola.employee_id);
    // Kari: 7 h 30 min on the 14th and 9 h 30 min on the 15th = 1020 min.
    post(&app, day(k, 10, 14, 16)).await;
    post(&app, day(k, 10, 15, 18)).await;
    // Ola clocked in on the 27th and never out: an open finding, no hours.
    post(&app, vec![event(o, ClockIn, oslo(2026, 10, 27, 8, 0))]).await;

    let (rfc, _) = export(&app, RFC, "").await.unwrap();
    let (excel, _) = export(&app, EXCEL, "").await.unwrap();
    // Unspecified is RFC 4180, byte for byte.
    assert_eq!(export(&app, 0, "").await.unwrap().0, rfc);

    // Exact bytes: the BOM, the header, CRLF, the decimal comma, quoting.
    assert_eq!(&excel[..3], &[0xEF, 0xBB, 0xBF]);
    let rfc = String::from_utf8(rfc).unwrap();
    let excel = String::from_utf8(excel).unwrap();
    let excel = excel.strip_prefix('\u{feff}').unwrap();
    assert!(
        rfc.starts_with(&format!("{}\r\n", HEADER.join(","))),
        "{rfc}"
    );
    assert!(
        excel.starts_with(&format!("{}\r\n", HEADER.join(";"))),
        "{excel}"
    );
    assert!(rfc.contains(&format!(
        "\r\n2026-10,{k},E1,WORKED,WORKED,,,1020,17.00,,,\r\n"
    )));
    assert!(excel.contains(&format!(
        "\r\n2026-10;{k};E1;WORKED;WORKED;;;1020;17,00;;;\r\n"
    )));
    assert!(excel.contains(&format!(
        "\r\n2026-10;{k};E1;FLEX_MOVEMENT;FLEX_MOVEMENT;;;-8880;-148,00;;;\r\n"
    )));
    assert!(rfc.contains(&format!(
        "\r\n2026-10,{o},Lønn;7,SCHEDULED,SCHEDULED,,,9900,165.00,1,,\r\n"
    )));
    assert!(excel.contains(&format!(
        "\r\n2026-10;{o};\"Lønn;7\";SCHEDULED;SCHEDULED;;;9900;165,00;1;;\r\n"
    )));
    assert!(!rfc.contains("OPEN_FINDINGS") && !excel.contains("OPEN_FINDINGS"));

    // Parsed back, the dialects hold the same rows and figures.
    let rfc_rows = crate::csv_text::parse(&rfc, ',');
    let excel_rows = crate::csv_text::parse(excel, ';');
    assert_eq!(rfc_rows.len(), excel_rows.len());
    assert_eq!(rfc_rows[0], HEADER);
    for (rfc_row, excel_row) in rfc_rows.iter().zip(&excel_rows) {
        assert_eq!(rfc_row.len(), 12);
        assert_eq!(rfc_row[..8], excel_row[..8]);
        assert_eq!(rfc_row[8], excel_row[8].replace(',', "."));
        assert_eq!(rfc_row[9..], excel_row[9..]);
    }
    // And the same figures as ListTotals: every line but OPEN_FINDINGS is
    // a row, whose count is the column.
    let pulled = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    let mut expected = vec![HEADER.iter().map(ToString::to_string).collect::<Vec<_>>()];
    for m in &pulled {
        let t = m.totals.as_ref().unwrap();
        let findings = t
            .lines
            .iter()
            .find(|l| l.category() == pb::PayCategory::OpenFindings)
            .map_or(String::new(), |l| l.count.to_string());
        for l in &t.lines {
            if l.category() == pb::PayCategory::OpenFindings {
                continue;
            }
            expected.push(vec![
                "2026-10".into(),
                t.employee_id.clone(),
                t.external_id.clone(),
                l.pay_code.clone(),
                l.category().as_str_name()["PAY_CATEGORY_".len()..].into(),
                if l.rate_percent == 0 {
                    String::new()
                } else {
                    l.rate_percent.to_string()
                },
                String::new(),
                l.minutes.to_string(),
                tidsvakt::domain::payroll::csv::hours(l.minutes),
                findings.clone(),
                String::new(),
                String::new(),
            ]);
        }
    }
    assert_eq!(rfc_rows, expected);
    // Kari has 5 rows (SCHEDULED, WORKED, NORMAL, OVERTIME_50 for the
    // 30 min over 9 h on the 15th, FLEX_MOVEMENT), Ola 2 (SCHEDULED,
    // FLEX_MOVEMENT): 7 rows and the header.
    assert_eq!(rfc_rows.len(), 8, "{rfc}");
    assert!(rfc.contains(&format!(
        "\r\n2026-10,{k},E1,OVERTIME_50,OVERTIME,50,,30,0.50,,,\r\n"
    )));
}

async fn a_dialect_the_server_does_not_know_is_refused_by_name(app: TestApp) {
    let [kari, ola] = &staff(&app, &["E1", "E2"]).await[..] else {
        unreachable!()
    };
    post(&app, day(&kari.employee_id, 10, 14, 16)).await;
    post(&app, day(&ola.employee_id, 10, 14, 16)).await;
    let e = export(&app, 7, "").await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(
        e.message(),
        "dialect: 7 is not a CSV dialect: use CSV_DIALECT_RFC4180 or CSV_DIALECT_EXCEL_NB"
    );
    // A cursor resumes only the dialect it was issued for.
    let pulled = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    assert_error(
        export(&app, EXCEL, &pulled[0].cursor).await,
        Code::InvalidArgument,
        "cursor: belongs to another period or filter",
    );
    // An excel-nb stream resumed with its own cursor repeats neither the
    // BOM nor the header.
    let (whole, cursors) = export(&app, EXCEL, "").await.unwrap();
    let whole = String::from_utf8(whole).unwrap();
    let (tail, _) = export(&app, EXCEL, cursors.last().unwrap()).await.unwrap();
    assert_eq!(tail, b"");
    let rows: Vec<&str> = whole.split("\r\n").collect();
    assert_eq!(rows.len(), 1 + 2 * 4 + 1, "{whole}");
}

crate::both_backends!(
    both_dialects_parse_back_to_the_same_figures,
    a_dialect_the_server_does_not_know_is_refused_by_name,
);
