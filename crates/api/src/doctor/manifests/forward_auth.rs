//! Forward authentication wiring: an Ingress whose `nginx.ingress.kubernetes.io/auth-url` (or a
//! Traefik Middleware whose `forwardAuth.address`) names a Service or a Service port that the
//! input does not define. ingress-nginx then answers 500 to every request of that Ingress, and
//! Traefik 500 or 502, with nothing in the protected app's log to say why.

use url::Url;

use super::model::{AuthHook, Objects, Service};
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;

pub(crate) fn check(objects: &Objects) -> Vec<Finding> {
    objects
        .auth_hooks
        .iter()
        .filter_map(|hook| check_hook(objects, hook))
        .collect()
}

fn check_hook(objects: &Objects, hook: &AuthHook) -> Option<Finding> {
    let subject = format!("manifest {}/{}", hook.kind, hook.metadata.name);
    let Ok(url) = Url::parse(&hook.url) else {
        return Some(Finding::fail(
            Code::AuthUrlServiceMissing,
            subject,
            format!("{} is {:?}, not a URL", hook.source, hook.url),
            "write the full URL, e.g. http://backend-api.default.svc.cluster.local:8000/auth/verify",
        ));
    };
    let host = url.host_str()?;
    // Only cluster Service names can be checked against the input; public names and IPs cannot.
    let (name, namespace) = service_name(host, hook.metadata.namespace.as_deref())?;
    let port = url.port_or_known_default()?;
    let in_namespace = |s: &&Service| {
        s.metadata.name == name
            && (s.metadata.namespace.is_none()
                || namespace.is_none()
                || s.metadata.namespace.as_deref() == namespace)
    };
    let Some(service) = objects.services.iter().find(in_namespace) else {
        let known: Vec<&str> = objects
            .services
            .iter()
            .map(|s| s.metadata.name.as_str())
            .collect();
        return Some(Finding::fail(
            Code::AuthUrlServiceMissing,
            subject,
            format!(
                "{} points at {host}, but no Service {name} is defined in this input (Services: {}); \
                 every request through it would fail",
                hook.source,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
            format!(
                "use the name of backend-api's Service (`kubectl get svc`), e.g. \
                 http://<release>-backend-api.<namespace>.svc.cluster.local:8000/auth/verify; \
                 if {name} is deployed separately, check it with that release's manifests too"
            ),
        ));
    };
    if service.ports.iter().any(|p| p.port == port) {
        return None;
    }
    let ports: Vec<String> = service.ports.iter().map(|p| p.port.to_string()).collect();
    Some(Finding::fail(
        Code::AuthUrlPortMissing,
        subject,
        format!(
            "{} points at {host} port {port}, but Service {name} exposes port(s) {}",
            hook.source,
            ports.join(", ")
        ),
        format!(
            "use the Service's port in the URL (http://{host}:{}{})",
            ports.first().map_or("8000", String::as_str),
            url.path()
        ),
    ))
}

/// `backend-api` (namespace of the hook) or `backend-api.ns.svc[.cluster.local]`; anything else
/// is not a Service name this check can judge.
fn service_name<'a>(host: &'a str, own: Option<&'a str>) -> Option<(&'a str, Option<&'a str>)> {
    if host.parse::<std::net::IpAddr>().is_ok() || host == "localhost" {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [name] => Some((name, own)),
        // `name.namespace` alone is left out: it cannot be told from a public `example.com`.
        [name, namespace, "svc"] => Some((name, Some(namespace))),
        [name, namespace, "svc", "cluster", "local"] => Some((name, Some(namespace))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_of(input: &str) -> Vec<Code> {
        let objects = Objects::parse(input).expect("yaml");
        check(&objects).iter().map(|f| f.code).collect()
    }

    const SERVICE: &str = "kind: Service\nmetadata: {name: backend-api, namespace: apps}\nspec: {ports: [{port: 8000, targetPort: http}]}\n";

    fn ingress(url: &str) -> String {
        format!(
            "{SERVICE}---\nkind: Ingress\nmetadata:\n  name: docs\n  namespace: apps\n  annotations:\n    nginx.ingress.kubernetes.io/auth-url: \"{url}\"\n"
        )
    }

    #[test]
    fn an_auth_url_on_a_defined_service_and_port_passes() {
        for url in [
            "http://backend-api.apps.svc.cluster.local:8000/auth/verify",
            "http://backend-api:8000/auth/verify",
            "http://backend-api.apps.svc:8000/auth/verify",
            "http://example.com/auth/verify",
            "https://auth.example.com/auth/verify",
        ] {
            assert!(codes_of(&ingress(url)).is_empty(), "{url}");
        }
    }

    #[test]
    fn a_missing_service_or_port_is_flagged() {
        assert_eq!(
            codes_of(&ingress(
                "http://backend-api-svc.apps.svc.cluster.local:8000/auth/verify"
            )),
            [Code::AuthUrlServiceMissing]
        );
        assert_eq!(
            codes_of(&ingress(
                "http://backend-api.apps.svc.cluster.local/auth/verify"
            )),
            [Code::AuthUrlPortMissing]
        );
        assert_eq!(
            codes_of(&ingress("http://backend-api.other.svc:8000/auth/verify")),
            [Code::AuthUrlServiceMissing]
        );
    }

    #[test]
    fn a_traefik_forward_auth_address_is_checked_too() {
        let input = format!(
            "{SERVICE}---\napiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: {{name: auth, namespace: apps}}\nspec:\n  forwardAuth:\n    address: http://backend-api.apps.svc:8080/auth/verify\n"
        );
        assert_eq!(codes_of(&input), [Code::AuthUrlPortMissing]);
    }
}
