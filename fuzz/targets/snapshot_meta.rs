//! Fuzz body: arbitrary bytes as a snapshot manifest and as an info file. Decoding must fail
//! cleanly or yield something that passes validation again after re-encoding; every name in an
//! accepted manifest must be a valid name (no path escapes).

use tabvault_snapshot::{SnapshotInfo, SnapshotManifest};
use tabvault_storage::validate_name;

/// Runs one input.
pub fn run(data: &[u8]) {
    if let Ok(manifest) = SnapshotManifest::decode(data) {
        assert!(validate_name(&manifest.database).is_ok());
        for table in &manifest.tables {
            assert!(validate_name(&table.name).is_ok());
        }
        let again =
            SnapshotManifest::decode(&manifest.encode().expect("a decoded manifest encodes"))
                .expect("re-encoded manifest decodes");
        assert_eq!(again, manifest);
    }
    if let Ok(info) = SnapshotInfo::decode(data) {
        assert!(validate_name(&info.name).is_ok());
        let again = SnapshotInfo::decode(&info.encode().expect("a decoded info encodes"))
            .expect("re-encoded info decodes");
        assert_eq!(again, info);
    }
}
