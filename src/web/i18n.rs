//! The pages' fixed words in bokmål and English. Templates read them as
//! `{{ t.key }}`; a key missing here fails the page's render test, never a
//! person's page (templates are strict about undefined values).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::domain::employee::Locale;

/// `(key, bokmål, English)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("app", "Tidsvakt", "Tidsvakt"),
    ("skip", "Hopp til innholdet", "Skip to content"),
    ("nav_now", "Nå", "Now"),
    ("nav_time", "Min tid", "My time"),
    ("nav_messages", "Varsler", "Messages"),
    ("nav_data", "Mine data", "My data"),
    ("nav_team", "Teamet", "My team"),
    ("nav_org", "Organisasjonen", "Organisation"),
    ("nav_sessions", "Innlogginger", "Sessions"),
    ("sign_out", "Logg ut", "Sign out"),
    ("language", "Språk", "Language"),
    ("switch_to", "English", "Norsk"),
    ("signed_in_as", "Innlogget som", "Signed in as"),
    // Sign-in
    ("sign_in", "Logg inn", "Sign in"),
    (
        "sign_in_lead",
        "Skriv inn e-postadressen din, så sender vi deg en innloggingslenke. Du trenger ikke passord.",
        "Enter your email address and we will send you a sign-in link. No password needed.",
    ),
    ("email", "E-postadresse", "Email address"),
    (
        "email_hint",
        "Adressen arbeidsgiveren din har registrert, for eksempel kari@firma.no",
        "The address your employer has on file, for example kari@company.com",
    ),
    ("send_link", "Send meg en lenke", "Email me a link"),
    // Single sign-on
    ("sso_with", "Logg inn med", "Sign in with"),
    (
        "sso_or",
        "Eller få en innloggingslenke på e-post",
        "Or get a sign-in link by email",
    ),
    ("sso_back", "Til innloggingen", "Back to sign-in"),
    (
        "sso_refused",
        "Innloggingen ble ikke fullført",
        "Sign-in was not completed",
    ),
    (
        "sso_state_lead",
        "Innloggingen ble ikke startet i denne nettleseren, eller svaret er endret på veien. Ingen er logget inn. Start på nytt.",
        "This sign-in was not started in this browser, or the answer was changed on the way. Nobody was signed in. Please start again.",
    ),
    (
        "sso_used_lead",
        "Denne innloggingen er allerede brukt. Start på nytt.",
        "This sign-in has been used already. Please start again.",
    ),
    (
        "sso_expired_lead",
        "Innloggingen tok mer enn 10 minutter. Start på nytt.",
        "The sign-in took more than 10 minutes. Please start again.",
    ),
    (
        "sso_cancelled_lead",
        "Innloggingstjenesten logget deg ikke inn. Prøv igjen, eller be om en lenke på e-post.",
        "The sign-in service did not sign you in. Try again, or ask for a link by email.",
    ),
    (
        "sso_invalid_lead",
        "Svaret fra innloggingstjenesten kunne ikke godtas. Ingen er logget inn. Start på nytt.",
        "The answer from the sign-in service could not be accepted. Nobody was signed in. Please start again.",
    ),
    (
        "sso_unverified",
        "E-postadressen er ikke bekreftet",
        "The email address is not verified",
    ),
    (
        "sso_unverified_lead",
        "Innloggingstjenesten har ikke bekreftet e-postadressen din, så vi kan ikke vite at den er din. Bekreft den der, eller be om en lenke på e-post.",
        "The sign-in service has not verified your email address, so we cannot know it is yours. Verify it there, or ask for a link by email.",
    ),
    (
        "sso_unknown",
        "Kontoen er ikke kjent",
        "This account is not known",
    ),
    (
        "sso_unknown_lead",
        "Tidsvakt kjenner ikke kontoen du logget inn med, og ingen konto er opprettet. Be arbeidsgiveren din registrere e-postadressen din.",
        "Tidsvakt does not know the account you signed in with, and no account was created. Ask your employer to register your email address.",
    ),
    (
        "sso_ambiguous_lead",
        "Flere ansatte er registrert med denne e-postadressen, så vi vet ikke hvem du er. Be arbeidsgiveren din rette det, og bruk en lenke på e-post så lenge.",
        "Several employees are registered with this email address, so we cannot tell who you are. Ask your employer to correct it, and use a link by email meanwhile.",
    ),
    ("sso_unavailable", "Får ikke kontakt med", "Cannot reach"),
    (
        "sso_unavailable_lead",
        "Prøv igjen om litt, eller be om en lenke på e-post.",
        "Try again in a while, or ask for a link by email.",
    ),
    ("check_email", "Sjekk e-posten din", "Check your email"),
    (
        "check_email_lead",
        "Hvis adressen er registrert i Tidsvakt, har vi sendt en innloggingslenke til den. Lenken virker én gang, i 15 minutter.",
        "If this address is registered with Tidsvakt, we have sent a sign-in link to it. The link works once, for 15 minutes.",
    ),
    (
        "check_email_none",
        "Kom det ingen e-post? Se i søppelposten, eller be om en ny lenke.",
        "No email? Look in your spam folder, or ask for a new link.",
    ),
    ("mail_subject", "Logg inn i Tidsvakt", "Sign in to Tidsvakt"),
    ("mail_hello", "Hei", "Hi"),
    (
        "mail_lead",
        "Her er lenken du ba om. Den virker én gang, i 15 minutter.",
        "Here is the link you asked for. It works once, for 15 minutes.",
    ),
    ("mail_button", "Logg inn i Tidsvakt", "Sign in to Tidsvakt"),
    (
        "mail_not_you",
        "Ba du ikke om denne? Da kan du se bort fra e-posten; ingen kommer inn uten lenken.",
        "Did not ask for it? Then ignore this email; nobody gets in without the link.",
    ),
    ("new_link", "Be om en ny lenke", "Ask for a new link"),
    ("link_title", "Logg inn i Tidsvakt", "Sign in to Tidsvakt"),
    (
        "link_lead",
        "Trykk på knappen for å logge inn i denne nettleseren.",
        "Press the button to sign in in this browser.",
    ),
    ("link_continue", "Logg inn", "Sign in"),
    (
        "link_refused",
        "Lenken virker ikke",
        "This link does not work",
    ),
    (
        "link_used",
        "Denne lenken er allerede brukt. En lenke virker bare én gang.",
        "This link has already been used. A link works only once.",
    ),
    (
        "link_expired",
        "Denne lenken er utløpt. En lenke virker i 15 minutter.",
        "This link has expired. A link works for 15 minutes.",
    ),
    (
        "link_unknown",
        "Vi kjenner ikke igjen denne lenken. Kanskje den ble kuttet av da den ble kopiert?",
        "We do not recognise this link. Perhaps it was cut short when it was copied?",
    ),
    (
        "admin_sign_in",
        "Logg inn som administrator med et token",
        "Sign in as an administrator with a token",
    ),
    ("admin_token", "Administrator-token", "Administrator token"),
    (
        "admin_token_hint",
        "Tokenet som ble skrevet ut ved første oppstart (data/admin.token).",
        "The token printed on the first start (data/admin.token).",
    ),
    ("too_many", "For mange forsøk", "Too many attempts"),
    (
        "too_many_lead",
        "Vent litt og prøv igjen.",
        "Please wait a little and try again.",
    ),
    ("signed_out", "Du er logget ut.", "You are signed out."),
    // Errors
    ("error", "Noe gikk galt", "Something went wrong"),
    (
        "forbidden",
        "Du har ikke tilgang til denne siden",
        "You cannot see this page",
    ),
    (
        "forbidden_lead",
        "Siden gjelder en annen person, og du har ikke tilgang til den.",
        "This page is about someone else, and you do not have access to it.",
    ),
    ("not_found", "Fant ikke siden", "Page not found"),
    ("csrf_failed", "Skjemaet er utløpt", "This form has expired"),
    (
        "csrf_failed_lead",
        "Av sikkerhetshensyn kunne vi ikke ta imot skjemaet. Last inn siden på nytt og prøv igjen. Ingenting er lagret.",
        "For your security we could not accept the form. Reload the page and try again. Nothing was saved.",
    ),
    ("session_gone", "Du må logge inn", "Please sign in"),
    (
        "unavailable",
        "Tidsvakt er utilgjengelig akkurat nå. Prøv igjen om litt; ingenting er tapt.",
        "Tidsvakt is unavailable right now. Try again in a moment; nothing is lost.",
    ),
    ("back_home", "Til forsiden", "Back to the start page"),
    ("fix_errors", "Rett opp dette:", "Please fix the following:"),
    // Now
    ("now_title", "Nå", "Now"),
    (
        "state_out",
        "Du er ikke stemplet inn",
        "You are not clocked in",
    ),
    ("state_working", "Du jobber", "You are working"),
    ("state_break", "Du har pause", "You are on a break"),
    ("since", "siden", "since"),
    ("clock_in", "Stemple inn", "Clock in"),
    ("clock_out", "Stemple ut", "Clock out"),
    ("break_start", "Start pause", "Start break"),
    ("break_end", "Avslutt pause", "End break"),
    ("where", "Hvor jobber du?", "Where are you working?"),
    ("loc_office", "Kontoret", "Office"),
    ("loc_home", "Hjemme", "Home"),
    ("loc_remote", "Annet sted", "Remote"),
    ("loc_travel", "På reise", "Travelling"),
    ("recorded_new", "Registrert.", "Recorded."),
    (
        "recorded_dup",
        "Dette var allerede registrert; ingenting er lagret to ganger.",
        "This was already recorded; nothing was stored twice.",
    ),
    ("today", "I dag", "Today"),
    ("this_week", "Denne uken", "This week"),
    ("worked", "Arbeidet", "Worked"),
    ("scheduled", "Planlagt", "Scheduled"),
    ("headroom", "Hvor mye er igjen", "How much is left"),
    (
        "headroom_lead",
        "Grensene loven og avtalene dine setter, regnet fra nå.",
        "The limits the law and your agreements set, counted from now.",
    ),
    (
        "exempt",
        "Du er unntatt arbeidstidsreglene (§ 10-12). Tidsvakt fører likevel tiden din, og gir deg beskjed om mønstre.",
        "You are exempt from the working-time rules (§ 10-12). Tidsvakt still records your time and tells you about patterns.",
    ),
    ("no_limits", "Ingen grenser å vise.", "No limits to show."),
    ("used_of", "brukt av", "used of"),
    ("reached", "Grensen er nådd", "The limit is reached"),
    // Time
    ("time_title", "Min tid", "My time"),
    ("week", "Uke", "Week"),
    ("month", "Måned", "Month"),
    ("previous", "Forrige", "Previous"),
    ("next", "Neste", "Next"),
    ("show", "Vis", "Show"),
    ("period", "Periode", "Period"),
    ("flex", "Fleks", "Flex"),
    ("flex_balance", "Flekssaldo", "Flex balance"),
    ("balance_start", "ved start", "at the start"),
    ("balance_end", "ved slutt", "at the end"),
    ("overtime", "Overtid", "Overtime"),
    ("night", "Natt", "Night"),
    ("sunday_holiday", "Søn- og helligdag", "Sunday/holiday"),
    ("home", "Hjemme", "Home"),
    ("absence", "Fravær", "Absence"),
    ("holiday", "Helligdag", "Holiday"),
    ("intervals", "Arbeidsperioder", "Work intervals"),
    ("no_work", "Ingen arbeid registrert", "No work recorded"),
    ("open", "pågår", "ongoing"),
    ("break", "pause", "break"),
    ("amended", "rettet", "corrected"),
    ("totals", "Sum", "Totals"),
    ("findings", "Funn", "Findings"),
    (
        "no_findings",
        "Ingen funn i perioden.",
        "No findings in this period.",
    ),
    ("correct_day", "Rett dagen", "Correct this day"),
    ("see_day", "Se dagen", "See the day"),
    ("sev_violation", "Brudd", "Violation"),
    ("sev_warning", "Advarsel", "Warning"),
    ("sev_pattern", "Mønster", "Pattern"),
    ("status_open", "åpent", "open"),
    ("status_resolved", "løst", "resolved"),
    ("time_zone", "Tidssone", "Time zone"),
    ("abs_sick", "Sykdom", "Sick leave"),
    ("abs_vacation", "Ferie", "Vacation"),
    ("abs_leave", "Permisjon", "Leave"),
    ("abs_toil", "Avspasering", "Time off in lieu"),
    // Day
    ("day_title", "Dagen", "The day"),
    ("events", "Stemplinger", "Clock events"),
    (
        "no_events",
        "Ingen stemplinger denne dagen.",
        "No clock events on this day.",
    ),
    ("time", "Tid", "Time"),
    ("kind", "Hva", "What"),
    ("location", "Sted", "Location"),
    ("source", "Kilde", "Source"),
    ("voided", "annullert", "voided"),
    ("moved_to", "flyttet til", "moved to"),
    ("kind_in", "Inn", "In"),
    ("kind_out", "Ut", "Out"),
    ("kind_break_start", "Pause start", "Break start"),
    ("kind_break_end", "Pause slutt", "Break end"),
    ("amendments", "Rettelser", "Corrections"),
    ("no_amendments", "Ingen rettelser.", "No corrections."),
    ("who", "Hvem", "Who"),
    ("when", "Når", "When"),
    ("why", "Hvorfor", "Why"),
    ("am_add", "La til", "Added"),
    ("am_void", "Annullerte", "Voided"),
    ("am_move", "Flyttet", "Moved"),
    ("add_event", "Legg til en stempling", "Add an event"),
    ("move_event", "Flytt en stempling", "Move an event"),
    ("void_event", "Annuller en stempling", "Void an event"),
    ("event", "Stempling", "Event"),
    ("new_time", "Nytt klokkeslett", "New time"),
    ("reason", "Begrunnelse", "Reason"),
    (
        "reason_hint",
        "Påkrevd. Hvorfor rettes dette? For eksempel «Glemte å stemple ut».",
        "Required. Why is this corrected? For example \"Forgot to clock out\".",
    ),
    ("save", "Lagre", "Save"),
    ("saved", "Rettelsen er lagret.", "The correction is saved."),
    (
        "locked_notice",
        "Lønnsperioden for denne dagen er låst. En rettelse blir utbetalt som et tillegg eller trekk i neste åpne periode.",
        "The payroll period of this day is locked. A correction will be paid as an adjustment in the next open period.",
    ),
    (
        "read_only",
        "Bare lesetilgang: bare den ansatte selv kan rette sin egen tid her.",
        "Read only: only the employee corrects their own time here.",
    ),
    ("choose", "Velg", "Choose"),
    // Messages
    (
        "messages_title",
        "Hva Tidsvakt har sagt om meg",
        "What Tidsvakt told about me",
    ),
    (
        "messages_lead",
        "Hver melding, påminnelse og hvert varsel til lederen din som gjaldt deg: når det ble sendt, og til hvem.",
        "Every nudge, reminder and manager alert that concerned you: when it was sent, and to whom.",
    ),
    (
        "no_messages",
        "Tidsvakt har ikke sendt noe om deg ennå.",
        "Tidsvakt has not sent anything about you yet.",
    ),
    ("to_you", "Til deg", "To you"),
    (
        "reminder",
        "Påminnelse om å stemple ut",
        "Reminder to clock out",
    ),
    ("reminder_badge", "Påminnelse", "Reminder"),
    ("reminders", "Påminnelser", "Reminders"),
    ("to_manager", "Til lederen din", "To your manager"),
    ("sent", "Sendt", "Sent"),
    ("pending", "Venter", "Waiting"),
    (
        "cancelled",
        "Ikke sendt (løst før sending)",
        "Not sent (resolved before sending)",
    ),
    ("dead", "Kunne ikke leveres", "Could not be delivered"),
    ("subject", "Emne", "Subject"),
    (
        "mutes",
        "Hva vil du høre om?",
        "What do you want to hear about?",
    ),
    (
        "mutes_lead",
        "Du kan slå av de valgfrie meldingene. Lovpålagte varsler kan ikke slås av.",
        "You can turn off the optional nudges. Legal alerts cannot be turned off.",
    ),
    ("muted", "Slått av", "Turned off"),
    ("unmuted", "På", "On"),
    ("mute", "Slå av", "Turn off"),
    ("unmute", "Slå på", "Turn on"),
    ("legal", "Lovpålagt", "Required by law"),
    ("cat_evening", "Kveldsarbeid", "Evening work"),
    ("cat_night", "Nattarbeid", "Night work"),
    ("cat_weekend", "Helgearbeid", "Weekend work"),
    ("cat_long_day", "Lange dager", "Long days"),
    (
        "cat_creep",
        "Flere uker over planen",
        "Several weeks above schedule",
    ),
    ("cat_home_office", "Hjemmekontor", "Home office"),
    ("cat_core_hours", "Kjernetid", "Core hours"),
    (
        "cat_absence_work",
        "Arbeid under sykdom eller ferie",
        "Work during sick leave or vacation",
    ),
    ("cat_record", "Manglende stempling", "Missing clock events"),
    (
        "cat_overtime_near",
        "Nær overtidsgrensen",
        "Close to the overtime limit",
    ),
    (
        "cat_overtime_limit",
        "Overtidsgrensene",
        "The overtime limits",
    ),
    (
        "cat_working_time_limit",
        "Grensene for arbeidstid",
        "The working-time limits",
    ),
    ("cat_rest", "Hviletid", "Rest"),
    ("cat_breaks", "Pauser", "Breaks"),
    (
        "cat_sunday_holiday",
        "Søndags- og helgedagsarbeid",
        "Sunday and holiday work",
    ),
    // Data
    ("data_title", "Mine data", "My data"),
    (
        "data_lead",
        "Last ned alt Tidsvakt vet om deg: stemplinger, rettelser, funn og meldinger.",
        "Download everything Tidsvakt knows about you: clock events, corrections, findings and messages.",
    ),
    ("download_csv", "Last ned som CSV", "Download as CSV"),
    ("download_json", "Last ned som JSON", "Download as JSON"),
    (
        "reads_title",
        "Hvem har lest dataene dine",
        "Who has read your record",
    ),
    (
        "reads_lead",
        "Hver gang noen andre enn deg leser timelistene, funnene, fraværet eller andre data om deg, blir det logget. Her er de siste.",
        "Every time someone other than you reads your timesheet, findings, absences or other data about you, it is logged. These are the latest.",
    ),
    (
        "reads_none",
        "Ingen andre har lest dataene dine.",
        "Nobody else has read your record.",
    ),
    ("reads_when", "Når", "When"),
    ("reads_who", "Hvem", "Who"),
    ("reads_what", "Hva", "What"),
    ("audit_read_timesheet", "timelisten", "your timesheet"),
    ("audit_read_findings", "funnene", "your findings"),
    (
        "audit_read_headroom",
        "hvor mye som er igjen til grensene",
        "your headroom to the limits",
    ),
    ("audit_read_absences", "fraværet", "your absences"),
    (
        "audit_read_policy",
        "arbeidsplan og avtaler",
        "your schedule and agreements",
    ),
    (
        "audit_read_employee",
        "personopplysningene",
        "your personal details",
    ),
    (
        "audit_read_status",
        "om du er stemplet inn",
        "whether you are clocked in",
    ),
    ("audit_read_nudges", "meldingene til deg", "your messages"),
    (
        "audit_read_record",
        "stemplingene en dag",
        "your clock events of a day",
    ),
    ("audit_read_team", "teamoversikten", "the team overview"),
    (
        "audit_read_working_time_record",
        "arbeidstidsoversikten din (aml. § 10-7)",
        "your working-time record (§ 10-7)",
    ),
    // Sessions
    ("sessions_title", "Innloggingene dine", "Your sessions"),
    ("this_session", "denne", "this one"),
    ("started", "Startet", "Started"),
    ("last_seen", "Sist brukt", "Last used"),
    ("expires", "Utløper", "Expires"),
    ("ended", "Avsluttet", "Ended"),
    ("end_session", "Avslutt", "End"),
    ("browser", "Nettleser", "Browser"),
    // Team
    ("team_title", "Teamet mitt nå", "My team now"),
    ("org_title", "Organisasjonen nå", "The organisation now"),
    (
        "team_lead",
        "Hvor mye hver har igjen til grensene, åpne funn, og hvem som er stemplet inn.",
        "How much each person has left to the limits, open findings, and who is clocked in.",
    ),
    ("no_reports", "Ingen å vise.", "No one to show."),
    ("person", "Person", "Person"),
    ("clocked_in", "Inne", "In"),
    ("clocked_out", "Ute", "Out"),
    ("on_break", "Pause", "Break"),
    ("open_findings", "Åpne funn", "Open findings"),
    ("tightest", "Minst igjen", "Least left"),
    ("digests", "Ukesoppsummeringer", "Weekly digests"),
    (
        "digests_lead",
        "Oppsummeringene som er sendt til deg, og en forhåndsvisning av denne ukens.",
        "The digests sent to you, and a preview of this week's.",
    ),
    (
        "preview",
        "Forhåndsvisning av denne uken",
        "This week's preview",
    ),
    (
        "no_digests",
        "Ingen oppsummeringer er sendt ennå.",
        "No digests have been sent yet.",
    ),
    ("view", "Vis", "View"),
    ("timesheet_of", "Timeliste for", "Timesheet of"),
    // The HR console's payroll pages
    ("nav_admin", "Administrasjon", "Administration"),
    ("nav_admin_payroll", "Lønn", "Payroll"),
    ("pay_title", "Lønnsperioder", "Payroll periods"),
    (
        "pay_lead",
        "Periodene med status, timetallene før låsing, låsing og CSV-filer til lønnssystemet.",
        "The periods with their status, the totals before a lock, locking, and CSV files for the payroll system.",
    ),
    ("pay_period", "Lønnsperiode", "Payroll period"),
    ("pay_dates", "Datoer", "Dates"),
    ("pay_status", "Status", "Status"),
    ("pay_open", "Åpen", "Open"),
    ("pay_locked", "Låst", "Locked"),
    ("pay_csv_files", "CSV-filer", "CSV files"),
    ("pay_csv", "CSV (lønnssystem)", "CSV (payroll system)"),
    (
        "pay_csv_excel",
        "CSV (Excel, norsk)",
        "CSV (Excel, Norwegian)",
    ),
    (
        "pay_gaps_title",
        "Hull i registreringen",
        "Gaps in the record",
    ),
    (
        "pay_gaps_lead",
        "Disse har stemplet inn uten å stemple ut på dager i perioden. Låser du nå, blir hvert hull et brudd på arbeidsmiljøloven § 10-7 (no.record). Rett dem først hvis du kan.",
        "These people clocked in without clocking out on days of the period. If you lock now, each gap becomes a violation of arbeidsmiljøloven § 10-7 (no.record). Correct them first if you can.",
    ),
    (
        "pay_no_gaps",
        "Ingen hull i registreringen.",
        "No gaps in the record.",
    ),
    ("pay_open_intervals", "åpne intervaller", "open intervals"),
    ("pay_lock", "Lås perioden", "Lock the period"),
    (
        "pay_confirm",
        "Jeg har sett hullene over og vil låse perioden. Tallene fryses; senere endringer kommer som korreksjoner i neste åpne periode.",
        "I have seen the gaps above and want to lock the period. The figures are frozen; later changes come as adjustments in the next open period.",
    ),
    (
        "pay_confirm_missing",
        "Kryss av for at du har sett hullene før du låser perioden.",
        "Tick the box to confirm you have seen the gaps before you lock the period.",
    ),
    ("pay_totals", "Timetall per ansatt", "Totals per employee"),
    ("pay_employee", "Ansatt", "Employee"),
    ("pay_code", "Lønnsart", "Pay code"),
    ("pay_category", "Kategori", "Category"),
    ("pay_hours", "Timer", "Hours"),
    ("pay_findings", "Åpne avvik", "Open findings"),
    ("pay_findings_pending", "vurderes", "being checked"),
    (
        "pay_findings_pending_note",
        "Noen åpne avvik merket «vurderes» venter på at en endring blir vurdert, så antallet kan endre seg. Timene er med. Last siden på nytt om litt.",
        "Open findings marked \"being checked\" wait for a change to be checked, so the count may change. The hours include it. Reload in a moment.",
    ),
    (
        "pay_none",
        "Ingen ansatte i perioden.",
        "No employees in the period.",
    ),
    // The § 10-7 record
    ("nav_record", "Arbeidstid (§ 10-7)", "Working time (§ 10-7)"),
    (
        "record_title",
        "Oversikt over arbeidstid (aml. § 10-7)",
        "Working-time record (§ 10-7)",
    ),
    (
        "record_lead",
        "Arbeidstiden til de ansatte du har innsyn i: dager, stemplinger, rettelser med begrunnelse og funn. Hver lesing loggføres og vises for den ansatte.",
        "The working time of the employees you may read: days, clock times, corrections with their reasons, and findings. Every read is logged and shown to the employee.",
    ),
    ("record_period_label", "Periode", "Period"),
    (
        "record_period_hint",
        "En måned som ÅÅÅÅ-MM, eller datoer som ÅÅÅÅ-MM-DD..ÅÅÅÅ-MM-DD (høyst ett år).",
        "A month as YYYY-MM, or dates as YYYY-MM-DD..YYYY-MM-DD (at most one year).",
    ),
    (
        "record_period_bad",
        "Skriv perioden som ÅÅÅÅ-MM (f.eks. 2026-11) eller ÅÅÅÅ-MM-DD..ÅÅÅÅ-MM-DD, høyst ett år.",
        "Write the period as YYYY-MM (e.g. 2026-11) or YYYY-MM-DD..YYYY-MM-DD, at most one year.",
    ),
    ("record_period", "Periode", "Period"),
    (
        "record_print",
        "Utskriftsvennlig rapport",
        "Printable report",
    ),
    ("record_print_button", "Skriv ut", "Print"),
    ("record_employee", "Ansatt", "Employee"),
    ("record_department", "Avdeling", "Department"),
    ("record_amendments", "Rettelser", "Corrections"),
    (
        "record_none",
        "Ingen ansatte i perioden.",
        "No employees in the period.",
    ),
    ("record_back", "Tilbake til oversikten", "Back to the list"),
    ("record_normal", "Alminnelig", "Normal"),
    ("record_night", "Natt", "Night"),
    (
        "record_sunday_holiday",
        "Søn- og helligdag",
        "Sunday and holiday",
    ),
    ("record_days", "Dager", "Days"),
    ("record_date", "Dato", "Date"),
    ("record_intervals", "Inn – ut", "In – out"),
    ("record_open", "ikke stemplet ut", "not clocked out"),
    (
        "record_no_days",
        "Ingen arbeid eller fravær i perioden.",
        "No work or absence in the period.",
    ),
    ("record_change", "Rettelse", "Correction"),
    ("record_change_add", "lagt til", "added"),
    ("record_change_void", "strøket", "voided"),
    ("record_change_move", "flyttet", "moved"),
    ("record_time", "Tidspunkt", "Time"),
    ("record_reason", "Begrunnelse", "Reason"),
    ("record_author", "Av", "By"),
    ("record_made", "Gjort", "Made"),
    (
        "record_no_amendments",
        "Ingen rettelser i perioden.",
        "No corrections in the period.",
    ),
    ("record_findings", "Funn", "Findings"),
    ("record_rule", "Regel", "Rule"),
    ("record_severity", "Alvor", "Severity"),
    ("record_window", "Tidsrom målt", "Window measured"),
    ("record_measured", "Målt", "Measured"),
    ("record_limit", "Grense", "Limit"),
    (
        "record_no_findings",
        "Ingen funn i perioden.",
        "No findings in the period.",
    ),
    ("record_organisation", "Virksomhet", "Organisation"),
    ("record_reader", "Lest av", "Read by"),
    ("record_printed_at", "Skrevet ut", "Printed at"),
];

static TABLES: LazyLock<[BTreeMap<&'static str, &'static str>; 2]> = LazyLock::new(|| {
    let nb = all().map(|(k, nb, _)| (*k, *nb)).collect();
    let en = all().map(|(k, _, en)| (*k, *en)).collect();
    [nb, en]
});

/// The pages' words and the HR console's.
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    WORDS
        .iter()
        .chain(super::admin_plans_words::WORDS)
        .chain(super::console_words::WORDS)
}

/// Every word of `locale`, keyed, for a template's `t`.
#[must_use]
pub fn words(locale: Locale) -> &'static BTreeMap<&'static str, &'static str> {
    match locale {
        Locale::Nb => &TABLES[0],
        Locale::En => &TABLES[1],
    }
}

/// One word.
#[must_use]
pub fn word(locale: Locale, key: &str) -> &'static str {
    words(locale).get(key).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_every_word_is_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, nb, en) in all() {
            assert!(seen.insert(*k), "{k} twice");
            assert!(!nb.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
