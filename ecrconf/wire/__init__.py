"""The wire: the SigV4-signed client, the Exchange it records, awsJson1_1 framing, and stop signals
(every request is a safe point to stop at)."""
