//! Single sign-on with OIDC providers: the adapter that talks to the
//! providers (the `openidconnect` crate over reqwest and rustls). The rules
//! of who may sign in are `domain::sso`; the pages are `web::sso`.
//!
//! - The authorization code flow with PKCE (S256), a `state` and a nonce.
//! - Each provider's metadata and keys come from discovery on its issuer
//!   URL, kept for [`METADATA_TTL`] so rotated keys are picked up. A start
//!   tries them once and logs a provider it cannot reach, naming the flag;
//!   the provider is tried again when someone signs in with it, so an
//!   outage of one provider never stops the service (the email link still
//!   works).
//! - The crate checks the ID token: signature, issuer, audience, expiry and
//!   nonce. Its time is the real clock: the provider's tokens are.
//! - Redirects are not followed by the HTTP client (the crate's advice: a
//!   followed redirect opens server-side request forgery).

pub mod config;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IdToken, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, reqwest,
};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

pub use self::config::ProviderConfig;
use crate::domain::ids::OrgId;

/// How long discovered metadata and keys are used before they are fetched
/// again.
pub const METADATA_TTL: Duration = Duration::from_secs(600);
/// The longest a provider may take to answer one request.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong with a provider. Messages carry no token or code.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// Discovery or the token endpoint did not answer properly.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// The provider answered, but its answer does not hold.
    #[error("the provider's answer was refused: {0}")]
    Refused(String),
}

/// The claims beyond the standard ones, for the group claim.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
struct OtherClaims(HashMap<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type VerifiedIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The crate's client as discovery builds it (authorization endpoint set,
/// token and user info endpoints as the provider's metadata has them).
type ProviderClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// A sign-in sent to the provider: the address to send the browser to,
/// and what the callback needs.
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
}

/// What a checked ID token says about the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The provider's id of the person (`sub`).
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    /// The values of the group claim, when configured and present.
    pub groups: Vec<String>,
}

/// One configured provider.
pub struct Provider {
    pub config: ProviderConfig,
    /// The organisation whose employees sign in with it.
    pub org: OrgId,
    redirect: RedirectUrl,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("id", &self.config.id)
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

/// Every configured provider, by id, in the file's order.
#[derive(Debug, Default)]
pub struct Providers {
    list: Vec<Arc<Provider>>,
}

/// The callback address of a provider under `public_url`.
#[must_use]
pub fn callback_url(public_url: &str, id: &str) -> String {
    crate::links::sso_callback(public_url.trim_end_matches('/'), id)
}

impl Providers {
    /// Prepares the providers, each with its organisation; discovery is
    /// left to [`Providers::discover_all`].
    ///
    /// # Errors
    /// When the HTTP client or a callback address cannot be built.
    pub fn new(configs: Vec<(ProviderConfig, OrgId)>, public_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()?;
        let list = configs
            .into_iter()
            .map(|(config, org)| {
                let redirect = RedirectUrl::new(callback_url(public_url, &config.id))?;
                Ok(Arc::new(Provider {
                    config,
                    org,
                    redirect,
                    http: http.clone(),
                    metadata: Mutex::new(None),
                }))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { list })
    }

    #[must_use]
    pub fn list(&self) -> &[Arc<Provider>] {
        &self.list
    }

    #[must_use]
    pub fn get(&self, id: &str) -> Option<Arc<Provider>> {
        self.list.iter().find(|p| p.config.id == id).cloned()
    }

    /// Discovers every provider once, logging each outcome; a provider that
    /// cannot be reached is tried again at its next sign-in.
    pub async fn discover_all(&self) {
        for p in &self.list {
            match p.metadata().await {
                Ok(_) => tracing::info!(
                    provider = %p.config.id,
                    issuer = %p.config.issuer,
                    "single sign-on provider discovered"
                ),
                Err(e) => tracing::error!(
                    provider = %p.config.id,
                    issuer = %p.config.issuer,
                    error = %e,
                    "single sign-on provider from {} cannot be used now; it is tried again when someone signs in with it",
                    config::FLAG
                ),
            }
        }
    }
}

impl Provider {
    /// The provider's metadata and keys, discovered at most
    /// [`METADATA_TTL`] ago.
    async fn metadata(&self) -> Result<CoreProviderMetadata, SsoError> {
        let mut cached = self.metadata.lock().await;
        if let Some((at, m)) = cached.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| SsoError::Unreachable(format!("issuer URL: {e}")))?;
        let m = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| SsoError::Unreachable(chain(&e)))?;
        *cached = Some((Instant::now(), m.clone()));
        Ok(m)
    }

    async fn client(&self) -> Result<ProviderClient, SsoError> {
        let metadata = self.metadata().await?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect.clone()))
    }

    /// A new sign-in: the authorization address with a fresh state, nonce
    /// and PKCE challenge.
    ///
    /// # Errors
    /// When the provider cannot be discovered.
    pub async fn start(&self) -> Result<Started, SsoError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
        })
    }

    /// Exchanges `code` (with the PKCE verifier) for tokens and checks the
    /// ID token against `nonce`.
    ///
    /// # Errors
    /// When the provider cannot be reached, or its answer does not hold.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, SsoError> {
        let client = self.client().await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoError::Unreachable(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    SsoError::Refused(format!("token endpoint: {}", r.error()))
                }
                other => SsoError::Unreachable(format!("token endpoint: {}", chain(&other))),
            })?;
        let raw = openidconnect::TokenResponse::id_token(&response)
            .ok_or_else(|| SsoError::Refused("no ID token in the answer".into()))?
            .to_string();
        // Parsed again with the claims beyond the standard ones, so the
        // crate checks the very token the group claim is read from.
        let token: VerifiedIdToken = raw
            .parse()
            .map_err(|e| SsoError::Refused(format!("ID token: {e}")))?;
        let verifier = client.id_token_verifier();
        let claims = token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|e| SsoError::Refused(format!("ID token: {}", chain(&e))))?;
        let groups = self
            .config
            .group_claim
            .as_deref()
            .and_then(|c| claims.additional_claims().0.get(c))
            .map(group_values)
            .unwrap_or_default();
        Ok(Identity {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            groups,
        })
    }
}

/// A group claim's values: a list of strings, or one string.
fn group_values(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_claim_is_a_list_or_one_string() {
        assert_eq!(
            group_values(&serde_json::json!(["a", 1, "b"])),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(group_values(&serde_json::json!("a")), vec!["a".to_owned()]);
        assert!(group_values(&serde_json::json!({"a": 1})).is_empty());
    }
}
