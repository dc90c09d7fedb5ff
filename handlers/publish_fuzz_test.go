package handlers

import (
	"encoding/json"
	"testing"
)

// FuzzParsePublish feeds arbitrary bodies to the publish API decoder: it
// must not panic, and an accepted body must name a target and satisfy
// every field limit.
func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{
		`{"to":{"users":["bob"]},"type":"t","title":"x","body":"b","data":{"k":[1,2]}}`,
		`{"to":{"room":"team:red"},"type":"a.b","title":"x"}`,
		`{"to":{"all":true},"type":"t","title":"x","data":null}`,
		`{"to":{"room":"dm:a:b"},"type":"t","title":"x"}`,
		`{"to":{}}`, `[]`, `{"to":{"users":[1]}}`, `{"a":1} {"b":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, fe := parsePublish(body)
		if fe != nil {
			return
		}
		targets := 0
		if len(req.Users) > 0 {
			targets++
		}
		if req.Room != "" {
			targets++
		}
		if req.All {
			targets++
		}
		if targets != 1 {
			t.Fatalf("accepted %q with %d targets", body, targets)
		}
		if req.Type == "" || len(req.Type) > maxTypeLen || !validType(req.Type) ||
			req.Title == "" || len(req.Title) > maxTitleLen || len(req.Body) > maxBodyLen ||
			len(req.Users) > maxRecipients || len(req.Data) > maxDataLen {
			t.Fatalf("accepted %q breaking a limit: %+v", body, req)
		}
		if req.Data != nil && !json.Valid(req.Data) {
			t.Fatalf("accepted invalid data %q", req.Data)
		}
	})
}
