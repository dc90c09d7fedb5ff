package parser

// AppendConnectError appends the v5 CONNECT_ERROR payload {"message":...} (with
// "data" holding the raw JSON data when it is not nil) to dst. Example:
// {"message":"Invalid namespace"}. data must be valid compact JSON.
func AppendConnectError(dst []byte, message string, data []byte) []byte {
	dst = append(dst, `{"message":`...)
	dst = AppendString(dst, message)
	if data != nil {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	return append(dst, '}')
}

// AppendLegacyConnectError appends the v4 CONNECT_ERROR payload, which is only the
// message as a JSON string ("Invalid namespace"); socket.io-client 2.x shows it as
// the error. The caller picks this form when the session speaks protocol v4
// (Engine.IO 3).
func AppendLegacyConnectError(dst []byte, message string) []byte {
	return AppendString(dst, message)
}
