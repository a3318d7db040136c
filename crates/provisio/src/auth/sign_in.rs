//! How clients sign users in: the answer of `GET /auth/client` (docs/AUTH.md, "Signing in from
//! the command line"), which `provisio login` and the web console read so that the server's URL
//! is all they need. The same types serve the server (serialising) and the CLI (parsing).

use serde::{Deserialize, Serialize};

/// The path of the sign-in document; it needs no token.
pub const PATH: &str = "/auth/client";

/// The identity provider and public client that users sign in with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSignIn {
    /// The issuer whose `/.well-known/openid-configuration` names the endpoints.
    pub issuer: String,
    /// The public client's id (it has no secret).
    pub client_id: String,
    /// The scopes to request.
    pub scopes: Vec<String>,
}

/// The body of `GET /auth/client`: `{"development": true}` for a server in development mode
/// (sign in with its development key, `provisio token issue`), else `{"development": false,
/// "issuer": …, "clientId": …, "scopes": […]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInInfo {
    /// True when the server accepts only tokens signed with its development key.
    pub development: bool,
    /// Where to sign in, in production mode.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ClientSignIn>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_round_trip() {
        let dev = SignInInfo {
            development: true,
            provider: None,
        };
        assert_eq!(
            serde_json::to_string(&dev).unwrap(),
            r#"{"development":true}"#
        );
        let prod = SignInInfo {
            development: false,
            provider: Some(ClientSignIn {
                issuer: "https://idp.example.com".into(),
                client_id: "c".into(),
                scopes: vec!["a".into(), "offline_access".into()],
            }),
        };
        let text = serde_json::to_string(&prod).unwrap();
        assert_eq!(
            text,
            r#"{"development":false,"issuer":"https://idp.example.com","clientId":"c","scopes":["a","offline_access"]}"#
        );
        assert_eq!(serde_json::from_str::<SignInInfo>(&text).unwrap(), prod);
        let parsed: SignInInfo = serde_json::from_str(r#"{"development":true}"#).unwrap();
        assert_eq!(parsed, dev);
    }
}
