//! AdminService over gRPC: API tokens and authentication.

use sqlx::{Connection as _, Row as _};
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

fn create(name: &str, role: pb::Role, employee_id: &str) -> pb::CreateApiTokenRequest {
    pb::CreateApiTokenRequest {
        name: name.into(),
        role: role as i32,
        employee_id: employee_id.into(),
        expires_at: Some(crate::helpers::token_expiry()),
        department: String::new(),
    }
}

async fn a_token_is_shown_once_and_stored_hashed(app: TestApp) {
    let r = app
        .admin()
        .create_api_token(create("reception", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    assert!(r.secret.starts_with("tv1_"), "{}", r.secret);
    let token = r.token.unwrap();
    assert_eq!(token.role(), pb::Role::Clock);
    let listed = app
        .admin()
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert_eq!(listed.len(), 2, "the first admin and the new one");
    assert!(
        !format!("{listed:?}").contains(&r.secret),
        "a listing never shows a secret"
    );
    // The new secret works at once.
    app.admin_client(&r.secret)
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .unwrap();
    // Only a hash is stored: the secret is nowhere in the token table.
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let rows = sqlx::query("SELECT secret_hash FROM api_tokens")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for row in rows {
        let hash: String = row.get("secret_hash");
        assert!(!hash.contains(&r.secret[4..]));
        assert_eq!(hash.len(), 64);
    }
}

async fn create_api_token_rejects_bad_input(app: TestApp) {
    let kari = app.create_employee("1001").await;
    let mut admin = app.admin();
    let cases = [
        (
            create("", pb::Role::Clock, ""),
            Code::InvalidArgument,
            "name",
        ),
        (
            create(&"n".repeat(101), pb::Role::Clock, ""),
            Code::InvalidArgument,
            "name",
        ),
        (
            create("x", pb::Role::Unspecified, ""),
            Code::InvalidArgument,
            "role",
        ),
        (
            pb::CreateApiTokenRequest {
                name: "x".into(),
                role: 42,
                employee_id: String::new(),
                expires_at: None,
                department: String::new(),
            },
            Code::InvalidArgument,
            "role",
        ),
        (
            create("x", pb::Role::Employee, ""),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            create("x", pb::Role::Manager, "nope"),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            create("x", pb::Role::Employee, &Uuid::new_v4().to_string()),
            Code::NotFound,
            "employee_id",
        ),
        (
            create("x", pb::Role::Clock, &kari.employee_id),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            create("x", pb::Role::Admin, &kari.employee_id),
            Code::InvalidArgument,
            "employee_id",
        ),
    ];
    for (request, code, field) in cases {
        assert_error(admin.create_api_token(request).await, code, field);
    }
    let tokens = admin
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert_eq!(tokens.len(), 1, "only the first admin token exists");
}

async fn revoking_a_token_locks_it_out_at_once(app: TestApp) {
    let r = app
        .admin()
        .create_api_token(create("clock", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    let id = r.token.unwrap().token_id;
    // Used once first, so the server has read it (and may keep it): the
    // revocation must still apply to the very next call.
    app.admin_client(&r.secret)
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .expect("the token works before it is revoked");
    let revoke = pb::RevokeApiTokenRequest {
        token_id: id.clone(),
    };
    let revoked = app
        .admin()
        .revoke_api_token(revoke.clone())
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(1));
    let again = app
        .admin()
        .revoke_api_token(revoke)
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    assert_eq!(
        again.revoked_at, revoked.revoked_at,
        "revoking twice changes nothing"
    );
    assert_error(
        app.admin_client(&r.secret)
            .get_organisation(pb::GetOrganisationRequest {})
            .await,
        Code::Unauthenticated,
        "revoked",
    );
    let mut admin = app.admin();
    let active = admin
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert!(
        active.iter().all(|t| t.token_id != id),
        "revoked tokens are hidden by default"
    );
    let all = admin
        .list_api_tokens(pb::ListApiTokensRequest {
            include_revoked: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert!(all.iter().any(|t| t.token_id == id));
    assert_error(
        admin
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: Uuid::new_v4().to_string(),
            })
            .await,
        Code::NotFound,
        "token_id",
    );
    assert_error(
        admin
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: "x".into(),
            })
            .await,
        Code::InvalidArgument,
        "token_id",
    );
}

async fn token_listing_pages(app: TestApp) {
    for i in 0..4 {
        app.clock
            .set(app.clock.now() + chrono::Duration::seconds(1));
        app.admin()
            .create_api_token(create(&format!("clock {i}"), pb::Role::Clock, ""))
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .admin()
            .list_api_tokens(pb::ListApiTokensRequest {
                page: Some(pb::PageRequest {
                    page_size: 2,
                    page_token: token,
                }),
                include_revoked: false,
            })
            .await
            .unwrap()
            .into_inner();
        names.extend(page.tokens.into_iter().map(|t| t.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        names,
        ["first admin", "clock 0", "clock 1", "clock 2", "clock 3"]
    );
    assert_error(
        app.admin()
            .list_api_tokens(pb::ListApiTokensRequest {
                page: Some(pb::PageRequest {
                    page_size: 2,
                    page_token: "6162".into(),
                }),
                include_revoked: false,
            })
            .await,
        Code::InvalidArgument,
        "page.page_token",
    );
}

async fn only_admins_manage_tokens_and_organisations_stay_apart(app: TestApp) {
    let kari = app.create_employee("1001").await;
    let kari_token = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    for secret in [
        kari_token,
        app.clock_token().await,
        app.token(pb::Role::Payroll, None).await,
    ] {
        let mut client = app.admin_client(&secret);
        assert_error(
            client
                .create_api_token(create("x", pb::Role::Admin, ""))
                .await,
            Code::PermissionDenied,
            "ADMIN",
        );
        assert_error(
            client
                .list_api_tokens(pb::ListApiTokensRequest::default())
                .await,
            Code::PermissionDenied,
            "ADMIN",
        );
    }
    assert_error(
        app.admin_client("Bearer-less nonsense")
            .get_organisation(pb::GetOrganisationRequest {})
            .await,
        Code::Unauthenticated,
        "token",
    );
    let (_, theirs) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", app.clock.now())
            .await
            .unwrap();
    let mine = app
        .admin()
        .create_api_token(create("clock", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    let mut other = app.admin_client(&theirs);
    assert_error(
        other
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: mine.token.unwrap().token_id,
            })
            .await,
        Code::NotFound,
        "token_id",
    );
    assert_error(
        other
            .create_api_token(create("spy", pb::Role::Employee, &kari.employee_id))
            .await,
        Code::NotFound,
        "employee_id",
    );
    let theirs_listed = other
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert_eq!(theirs_listed.len(), 1, "only their own first admin");
    let org = other
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .unwrap()
        .into_inner()
        .organisation
        .unwrap();
    assert_eq!(org.name, "other");
    app.admin_client(&mine.secret)
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .unwrap();
}

crate::both_backends!(
    a_token_is_shown_once_and_stored_hashed,
    create_api_token_rejects_bad_input,
    revoking_a_token_locks_it_out_at_once,
    token_listing_pages,
    only_admins_manage_tokens_and_organisations_stay_apart,
);
