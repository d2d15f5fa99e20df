"""The spec: the pinned botocore model turned into JSON Schemas, access to them, and evidence levels."""
