package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemattermost"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakeslack"
	"github.com/threadlinehq/threadline/adapters/mattermost"
	"github.com/threadlinehq/threadline/bridge"
)

// mattermostRig is a fake Mattermost with a staff channel and two people,
// and a daemon config that points at it on a fixed loopback address (the
// card buttons and the slash command call the daemon's public URL, so it
// must be known before it starts).
type mattermostRig struct {
	fake         *fakemattermost.Server
	channel      string
	alice, bob   string
	addr, config string
}

func newMattermostRig(t *testing.T, opts fakemattermost.Options, extra string) *mattermostRig {
	t.Helper()
	fake := fakemattermost.New(opts)
	t.Cleanup(fake.Close)
	fake.ReportTo(t)
	r := &mattermostRig{fake: fake, channel: fake.AddChannel("support", true)}
	r.alice = fake.AddUser("alice", "Alice", "Archer")
	r.bob = fake.AddUser("bob", "Bob", "Baker")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	ln.Close()
	tok := fake.RegisterCommand("ticket", "http://"+r.addr+mattermost.CommandPath)
	cfg := strings.Replace(testConfig, "127.0.0.1:0", r.addr, 1)
	cfg = strings.Replace(cfg, "    slack: {per_destination: 50, per_adapter: 200}\n",
		"    slack: {per_destination: 50, per_adapter: 200}\n    mattermost: {per_destination: 50, per_adapter: 200}\n"+whatsAppPacing, 1)
	cfg += fmt.Sprintf("public_url: http://%s\nmattermost:\n  url: %s\n  bot_token: %s\n  channel_id: %s\n  command_token: %s\n",
		r.addr, fake.URL(), fake.Token(), r.channel, tok)
	r.config = filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(r.config, []byte(cfg+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// root waits for the one card in the staff channel, recorded in the store.
func (r *mattermostRig) root(t *testing.T, d *daemon) string {
	t.Helper()
	var id string
	eventually(t, "Mattermost card posted and recorded", func() bool {
		rs := r.fake.Roots(r.channel)
		if len(rs) != 1 {
			return false
		}
		id = rs[0].ID
		_, err := d.app.st.ConversationByThread(context.Background(), "mattermost", bridge.ThreadRef(r.channel+"/"+id))
		return err == nil
	})
	return id
}

func (r *mattermostRig) owner(root string) string {
	p, _ := r.fake.Post(root)
	if as := p.Attachments(); len(as) == 1 {
		return as[0].Field("Owner")
	}
	return ""
}

// TestEndToEndMattermost runs the real daemon wiring against the fake
// Mattermost: web chat customer -> Mattermost thread -> staff reply in the
// thread -> the customer's browser; a card button claims; /ticket
// answers; staff posts written while the socket was down are caught up
// on; a restart keeps the conversation on its root post.
func TestEndToEndMattermost(t *testing.T) {
	r := newMattermostRig(t, fakemattermost.Options{UsernameOverride: true}, "")
	d := startDaemon(t, r.config)
	var banner bytes.Buffer
	d.app.banner(&banner)
	if !strings.Contains(banner.String(), "mattermost on   "+r.fake.URL()+", staff channel "+r.channel+"; buttons call http://"+r.addr+"/mattermost/actions; /ticket at http://"+r.addr+"/mattermost/command") {
		t.Errorf("banner:\n%s", banner.String())
	}
	eventually(t, "WebSocket connected", func() bool { return r.fake.Connected() == 1 })

	v := newVisitor(t, d.http)
	v.connect(d.http)
	v.say("Hi, the app crashes on login", "c1")
	root := r.root(t, d)
	eventually(t, "customer message in the thread", func() bool { return len(r.fake.Thread(root)) == 1 })
	if p := r.fake.Thread(root)[0]; p.Message != "Hi, the app crashes on login" || p.Prop("override_username") != "Anna (webchat)" {
		t.Errorf("customer post = %q %v", p.Message, p.Props)
	}

	staff := r.fake.StaffPost(r.channel, root, r.alice, "Thanks! Which version are you on?")
	eventually(t, "staff reply in the browser", func() bool { return len(v.staffTexts()) == 1 })
	if got := v.staffTexts()[0]; got != "Thanks! Which version are you on?" {
		t.Errorf("customer saw %q", got)
	}
	eventually(t, "delivery receipt", func() bool { return slices.Equal(r.fake.Reactions(staff), []string{"white_check_mark"}) })

	// A card button claims, answering the clicker only.
	res, err := r.fake.ClickButton(root, "claim", r.alice)
	if err != nil || !strings.Contains(res.EphemeralText, "You own #1 now") {
		t.Fatalf("claim button: %+v %v", res, err)
	}
	eventually(t, "card shows the owner", func() bool { return r.owner(root) == "Alice Archer" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := d.admin.Say(ctx, consoleSay(1, "!status")); err != nil || !strings.Contains(st.Text, "owned by Alice Archer") {
		t.Errorf("status via console = %+v %v", st, err)
	}
	// /ticket names the conversation.
	if cr, err := r.fake.RunCommand(r.channel, r.bob, "/ticket 1"); err != nil || !strings.Contains(cr.Text, "owned by Alice Archer") {
		t.Errorf("/ticket 1 = %+v %v", cr, err)
	}

	// Written while the socket was down: caught up once it is back.
	r.fake.RefuseSockets(true)
	r.fake.DropSockets()
	eventually(t, "socket dropped", func() bool { return r.fake.Connected() == 0 })
	r.fake.WriteUnheard(r.channel, root, r.alice, "It is fixed in 2.3.1.")
	r.fake.RefuseSockets(false)
	eventually(t, "caught-up reply in the browser", func() bool { return slices.Contains(v.staffTexts(), "It is fixed in 2.3.1.") })
	d.stop()

	// Run 2: the mapping survived; staff in the old thread still reach the
	// customer, and the customer's next message lands in the same thread.
	d2 := startDaemon(t, r.config)
	v.connect(d2.http)
	eventually(t, "WebSocket reconnected", func() bool { return r.fake.Connected() == 1 })
	r.fake.StaffPost(r.channel, root, r.alice, "Anything else?")
	eventually(t, "reply after restart", func() bool { return slices.Contains(v.staffTexts(), "Anything else?") })
	v.say("No, thanks!", "c2")
	eventually(t, "customer message in the same thread", func() bool {
		ps := r.fake.Thread(root)
		return len(ps) > 0 && ps[len(ps)-1].Message == "No, thanks!"
	})
	if n := len(r.fake.Roots(r.channel)); n != 1 {
		t.Errorf("%d root posts, want 1", n)
	}
	if got := v.staffTexts(); len(got) != 3 {
		t.Errorf("customer saw %q, want each reply once", got)
	}
}

// TestEndToEndSlackAndMattermost: the same conversation on Slack and
// Mattermost at once, with one owner. A Mattermost button claims and both
// cards show it; a claim from Slack is refused; a Slack reply shows in
// the Mattermost thread and reaches the customer; a Mattermost note shows
// in the Slack thread and not to the customer.
func TestEndToEndSlackAndMattermost(t *testing.T) {
	sl := fakeslack.New()
	defer sl.Close()
	sl.AddUser("U0ALICE", "Alice")
	sl.AddUser("U0BOB", "Bob")
	r := newMattermostRig(t, fakemattermost.Options{}, slackYAML(sl))
	d := startDaemon(t, r.config)
	eventually(t, "both connected", func() bool { return sl.Connected() == 1 && r.fake.Connected() == 1 })

	v := newVisitor(t, d.http)
	v.connect(d.http)
	v.say("My parcel never arrived", "c1")
	root := r.root(t, d)
	card := slackCard(t, d, sl, "C0SUPPORT1")
	eventually(t, "customer message on both", func() bool {
		return len(r.fake.Thread(root)) == 1 && len(sl.Thread("C0SUPPORT1", card)) == 1
	})

	if _, err := r.fake.ClickButton(root, "claim", r.alice); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both cards show the owner", func() bool {
		m, _ := sl.Message("C0SUPPORT1", card)
		return r.owner(root) == "Alice Archer" && strings.Contains(string(m.Blocks), `"*Owner*\nAlice Archer"`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := sl.Send(ctx, "interactive", sl.ButtonClick("C0SUPPORT1", card, "U0BOB", "tl_claim", "1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second claim refused on Slack", func() bool {
		for _, m := range sl.Messages() {
			if m.Ephemeral && m.User == "U0BOB" && strings.Contains(m.Text, "claimed by Alice Archer") {
				return true
			}
		}
		return false
	})
	if r.owner(root) != "Alice Archer" {
		t.Errorf("owner on Mattermost = %q", r.owner(root))
	}

	ev, _ := sl.StaffMessage("C0SUPPORT1", card, "U0ALICE", "We are on it.")
	if _, err := sl.Send(ctx, "events_api", ev); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Slack reply to the customer and in the Mattermost thread", func() bool {
		ps := r.fake.Thread(root)
		return slices.Contains(v.staffTexts(), "We are on it.") && len(ps) > 0 &&
			strings.Contains(ps[len(ps)-1].Message, "via slack → customer:\nWe are on it.")
	})
	r.fake.StaffPost(r.channel, root, r.alice, "// courier says Tuesday")
	eventually(t, "Mattermost note in the Slack thread", func() bool {
		for _, m := range sl.Thread("C0SUPPORT1", card) {
			if strings.Contains(m.Text, "courier says Tuesday") {
				return true
			}
		}
		return false
	})
	for _, s := range v.staffTexts() {
		if strings.Contains(s, "courier") {
			t.Errorf("the note reached the customer: %q", s)
		}
	}
}
