//! `backend-api doctor`: checks configuration, identity providers, the database and Kubernetes manifests
//! the way an operator would by hand, and reports each result as a finding with a stable code and a fix.

mod codes;
mod finding;
mod manifests;
mod probe;
mod providers;
mod render;
