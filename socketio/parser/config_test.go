package parser_test

import (
	"testing"

	"rtserver/socketio/parser"
)

func TestDecoderConfigValidate(t *testing.T) {
	good := []parser.DecoderConfig{
		{},
		{MaxAttachments: 1, MaxDepth: 1, MaxNamespaceLen: 1},
		{MaxAttachments: parser.MaxAttachmentsLimit, MaxDepth: parser.MaxDepthLimit, Legacy: true},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []parser.DecoderConfig{
		{MaxAttachments: -1},
		{MaxAttachments: parser.MaxAttachmentsLimit + 1},
		{MaxDepth: -1},
		{MaxDepth: parser.MaxDepthLimit + 1},
		{MaxNamespaceLen: -1},
		{MaxNamespaceLen: 1<<20 + 1},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
}

// TestNewDecoderClamps checks that a Decoder built from an out-of-range config
// still enforces sane limits instead of panicking or disabling them.
func TestNewDecoderClamps(t *testing.T) {
	d := parser.NewDecoder(parser.DecoderConfig{MaxAttachments: -5, MaxDepth: 1 << 30, MaxNamespaceLen: -1})
	if _, err := d.Add([]byte(`511-["a"]`), false); err == nil {
		t.Fatal("11 attachments accepted with the default limit of 10")
	}
	if _, err := d.Add([]byte(`0/`+string(make([]byte, 300))+`,`), false); err == nil {
		t.Fatal("300-byte namespace accepted with the default limit")
	}
}
