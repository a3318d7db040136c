//! `GET /auth/client`: how to sign in to this server, for `provisio login` and the web console
//! (docs/AUTH.md, "Signing in from the command line"). It needs no token: clients read it before
//! they have one.

use axum::extract::State;
use axum::Json;

use super::AppState;
use crate::auth::sign_in::SignInInfo;
use crate::auth::AuthMode;
use crate::error::ApiError;

/// `{"development": true}` in development mode; the issuer, client id and scopes in production
/// mode; 404 when production mode has no client configured.
pub async fn client(State(state): State<AppState>) -> Result<Json<SignInInfo>, ApiError> {
    if state.auth.mode() == AuthMode::Development {
        return Ok(Json(SignInInfo {
            development: true,
            provider: None,
        }));
    }
    match &state.settings.sign_in {
        Some(sign_in) => Ok(Json(SignInInfo {
            development: false,
            provider: Some(sign_in.clone()),
        })),
        None => Err(ApiError::NotFound(
            "This server has no client for signing in: its administrator sets auth.client_id and auth.client_scopes (docs/AUTH.md)."
                .to_owned(),
        )),
    }
}
