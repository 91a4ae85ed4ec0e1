"""The staff terminal (`qinzi review`): a homeroom teacher's or school IT's queue of applications,
the side-by-side review, bulk approval, the scan field, unbinding requests and the audit log."""
