//! Remote key sets: keeping one provider's keys fresh through rotation and outages
//! (`cache`). The HTTP GET itself is `crate::fetch`, shared with `doctor`.

pub(crate) mod cache;

pub(crate) use cache::KeyCache;
