package redisadapter

import "testing"

func TestBroadcastEnvelopeRoundTrip(t *testing.T) {
	msg := []byte{}
	{
		p := mustEvent(t, `["ev",1,{"_placeholder":true,"num":0}]`, [][]byte{{7}})
		var err error
		msg, err = encodeBroadcast("uid1", p, optsOf([]string{"r"}, []string{"s"}, true))
		if err != nil {
			t.Fatal(err)
		}
	}
	uid, wp, wo, err := decodeBroadcast(msg)
	if err != nil || uid != "uid1" || wp.Nsp != "/" || wp.Type != 2 {
		t.Fatalf("%q %+v %v", uid, wp, err)
	}
	p, err := wp.toPacket("/")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Data) != `["ev",1,{"_placeholder":true,"num":0}]` || len(p.Attachments) != 1 || p.Attachments[0][0] != 7 {
		t.Fatalf("packet %s %v", p.Data, p.Attachments)
	}
	if o := wo.Options(); o.Rooms[0] != "r" || o.Except[0] != "s" || !o.Volatile {
		t.Fatalf("opts %+v", o)
	}
}
