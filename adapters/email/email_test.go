package email

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/adapters/adaptertest/fakemail"
	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/engine"
)

var ourID = regexp.MustCompile(`^<threadline\.\d+\.\d+\.[0-9a-f]+@example\.com>$`)

// TestEndToEndThreading: a customer email opens a conversation and shows
// in the staff thread; the staff reply goes out over SMTP as a proper
// reply (Re: subject, In-Reply-To, References, our Message-ID); the
// customer's answer to it lands in the same conversation; an auto-reply to
// it opens nothing and triggers nothing.
func TestEndToEndThreading(t *testing.T) {
	r := newRig(t, rigOptions{
		imap: fakemail.IMAPOptions{TLS: fakemail.TLSImplicit},
		smtp: fakemail.SMTPOptions{TLS: fakemail.TLSStartTLS, Username: "support@example.com", Password: "smtp-secret"},
	})
	r.start()
	r.append(customerMail(`"Dana Customer" <Dana@Customer.example>`, "<c1@customer.example>", "Order 42 is late",
		"Hi, my order 42 has not arrived yet.\r\nCan you check?"))
	posts := r.waitPosts(1)
	if !strings.Contains(posts[0].Post.Text, "order 42 has not arrived") || posts[0].Post.Author != "Dana Customer" {
		t.Fatalf("staff post = %+v", posts[0].Post)
	}
	convs := r.conversations()
	if len(convs) != 1 || convs[0].Address != "dana@customer.example" || convs[0].Subject != "Order 42 is late" {
		t.Fatalf("conversations = %+v", convs)
	}
	conv := convs[0].ID
	adaptertest.Eventually(t, 5*time.Second, r.allSeen, "the email is marked \\Seen")

	r.reply(conv, "**Sorry** for the wait! It ships tomorrow.\n\n- tracking: https://track.example/42", "staff-1")
	sent := r.waitSent(1)
	m := sent[0]
	if m.From != "support@example.com" || len(m.To) != 1 || m.To[0] != "dana@customer.example" {
		t.Fatalf("envelope = %s -> %v", m.From, m.To)
	}
	out, err := Parse(m.Data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Subject != "Re: Order 42 is late [#1]" {
		t.Errorf("subject = %q", out.Subject)
	}
	if !ourID.MatchString(out.MessageID) {
		t.Errorf("message id = %q", out.MessageID)
	}
	if strings.Join(out.InReplyTo, " ") != "<c1@customer.example>" || strings.Join(out.References, " ") != "<c1@customer.example>" {
		t.Errorf("threading headers: In-Reply-To %v References %v", out.InReplyTo, out.References)
	}
	if out.From.Email != "support@example.com" || out.From.Name != "Example Support" {
		t.Errorf("from = %+v", out.From)
	}
	if len(out.ReplyTo) != 1 || !strings.HasPrefix(out.ReplyTo[0].Email, "support+"+fmt.Sprint(int64(conv))+".") {
		t.Errorf("reply-to = %+v", out.ReplyTo)
	}
	if !strings.Contains(string(m.Data), "<strong>Sorry</strong>") || !strings.Contains(out.Text, "**Sorry** for the wait") {
		t.Errorf("text/html parts missing:\n%s", m.Data)
	}
	// The delivery receipt reaches the staff surface.
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		_, _, rc := r.surf.Snapshot()
		return len(rc) == 1 && rc[0].OK
	}, "a delivery receipt")

	// The customer answers our reply: same conversation.
	r.append(customerMail("Dana Customer <dana@customer.example>", "<c2@customer.example>", "Re: Order 42 is late",
		"Great, thanks!\r\n\r\nOn Mon, Support <support@example.com> wrote:\r\n> It ships tomorrow.",
		"In-Reply-To: "+out.MessageID, "References: <c1@customer.example> "+out.MessageID))
	posts = r.waitPosts(2)
	if posts[1].Conv != conv || posts[1].Post.Text != "Great, thanks!" {
		t.Fatalf("reply landed in %v with text %q (want %v, quotes stripped)", posts[1].Conv, posts[1].Post.Text, conv)
	}

	// A second staff reply carries the whole chain.
	r.reply(conv, "You're welcome.", "staff-2")
	sent = r.waitSent(2)
	out2, _ := Parse(sent[1].Data, Limits{})
	wantRefs := "<c1@customer.example> " + out.MessageID + " <c2@customer.example>"
	if strings.Join(out2.References, " ") != wantRefs || strings.Join(out2.InReplyTo, " ") != "<c2@customer.example>" {
		t.Errorf("second reply: References %v In-Reply-To %v, want %s", out2.References, out2.InReplyTo, wantRefs)
	}

	// A reply whose client dropped the threading headers still finds the
	// conversation through the signed plus address.
	r.append(strings.Replace(customerMail("dana@customer.example", "<c3@customer.example>", "my new question", "One more thing."),
		"To: support@example.com", "To: "+out.ReplyTo[0].Email, 1))
	posts = r.waitPosts(3)
	if posts[2].Conv != conv {
		t.Errorf("plus-addressed mail went to %v, want %v", posts[2].Conv, conv)
	}

	// An out-of-office answer to our reply: nothing opens, nothing is sent.
	r.append(customerMail("dana@customer.example", "<ooo@customer.example>", "Automatic reply: Re: Order 42 is late",
		"I am away.", "Auto-Submitted: auto-replied", "In-Reply-To: "+out2.MessageID))
	// A bounce of our reply becomes a staff note, never a reply.
	r.append("Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\nSubject: Undelivered Mail\r\n" +
		"Message-ID: <bounce-9@mx.customer.example>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n" +
		"Final-Recipient: rfc822; dana@customer.example\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 mailbox full\r\n\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + out2.MessageID + "\r\nSubject: Re: Order 42 is late\r\n\r\n--b--\r\n")
	// A brand-new email from the same customer is a new conversation.
	r.append(customerMail("dana@customer.example", "<c4@customer.example>", "Different topic", "Do you sell gift cards?"))
	posts = r.waitPosts(4)
	if posts[3].Conv == conv || !strings.Contains(posts[3].Post.Text, "gift cards") {
		t.Errorf("new thread landed in %v (%q)", posts[3].Conv, posts[3].Post.Text)
	}
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		for _, msg := range r.messages(conv) {
			if msg.Direction == bridge.DirNote && strings.Contains(msg.Body, "bounced for dana@customer.example") && strings.Contains(msg.Body, "552 mailbox full") {
				return true
			}
		}
		return false
	}, "a bounce note in the conversation")
	adaptertest.Eventually(t, 5*time.Second, r.allSeen, "every email is marked \\Seen")
	if n := len(r.conversations()); n != 2 {
		t.Errorf("%d conversations, want 2 (auto-reply and bounce open none)", n)
	}
	if n := len(r.smtp.Messages()); n != 2 {
		t.Errorf("%d emails sent, want 2 (nothing answers automatic mail)", n)
	}
}

// TestRestartNoLossNoRepeat: the cursor survives restarts, mail that
// arrives while the daemon is down is read on start, and a UIDVALIDITY
// change (server migration) re-reads nothing twice. Polling mode (no IDLE).
func TestRestartNoLossNoRepeat(t *testing.T) {
	db := filepath.Join(t.TempDir(), "threadline.db")
	imapOpts := fakemail.IMAPOptions{NoIdle: true}
	r := newRig(t, rigOptions{imap: imapOpts, dbPath: db})
	for i := 1; i <= 5; i++ {
		r.append(customerMail(fmt.Sprintf("c%d@example.net", i), fmt.Sprintf("<m%d@example.net>", i), fmt.Sprintf("Question %d", i), fmt.Sprintf("Body %d", i)))
	}
	r.start()
	r.waitPosts(5)
	adaptertest.Eventually(t, 5*time.Second, r.allSeen, "all seen")
	r.stop()

	// Mail arrives while we are down.
	for i := 6; i <= 8; i++ {
		r.append(customerMail(fmt.Sprintf("c%d@example.net", i), fmt.Sprintf("<m%d@example.net>", i), fmt.Sprintf("Question %d", i), fmt.Sprintf("Body %d", i)))
	}
	// A new adapter on the same database (a restarted daemon).
	ad, err := New(r.cfg, r.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Init(r.deps); err != nil {
		t.Fatal(err)
	}
	r.ad = ad
	r.start()
	r.waitPosts(8)
	adaptertest.Eventually(t, 5*time.Second, r.allSeen, "all seen after restart")

	// The connection drops; the adapter reconnects and keeps reading.
	r.imap.DropConnections()
	r.append(customerMail("c9@example.net", "<m9@example.net>", "Question 9", "Body 9"))
	r.waitPosts(9)

	// The server renumbers the mailbox (new UIDVALIDITY) and mail is
	// unread again: everything is rescanned, nothing is stored twice.
	if err := r.imap.RenumberMailbox("INBOX"); err != nil {
		t.Fatal(err)
	}
	r.append(customerMail("c10@example.net", "<m10@example.net>", "Question 10", "Body 10"))
	r.waitPosts(10)
	adaptertest.Eventually(t, 5*time.Second, r.allSeen, "all seen after renumbering")
	r.stop()
	convs := r.conversations()
	if len(convs) != 10 {
		t.Fatalf("%d conversations, want 10", len(convs))
	}
	for _, c := range convs {
		if n := len(r.messages(c.ID)); n != 1 {
			t.Errorf("conversation %v has %d messages, want 1 (no repeats)", c.ID, n)
		}
	}
	if got := len(r.customerPosts()); got != 10 {
		t.Errorf("%d staff posts, want 10", got)
	}
	validity, _ := r.imap.UIDValidity("INBOX")
	cur, _ := r.st.Cursor(t.Context(), "email", r.ad.cursorKey())
	if want := fmt.Sprintf("%d:", validity); !strings.HasPrefix(cur, want) {
		t.Errorf("cursor = %q, want prefix %q", cur, want)
	}
}

// TestUnseenAtFirstStart: on the first start only unread mail is taken;
// mail already read by a person stays alone. (IMAP over STARTTLS.)
func TestUnseenAtFirstStart(t *testing.T) {
	r := newRig(t, rigOptions{imap: fakemail.IMAPOptions{TLS: fakemail.TLSStartTLS}})
	if _, err := r.imap.Append("", []byte(customerMail("old@example.net", "<old@example.net>", "Old", "Already handled by hand")), "\\Seen"); err != nil {
		t.Fatal(err)
	}
	r.append(customerMail("new@example.net", "<new@example.net>", "New", "Please help"))
	r.start()
	posts := r.waitPosts(1)
	adaptertest.Eventually(t, 5*time.Second, r.allSeen, "all seen")
	r.append(customerMail("later@example.net", "<later@example.net>", "Later", "Another one"))
	posts = r.waitPosts(2)
	if len(posts) != 2 || !strings.Contains(posts[0].Post.Text, "Please help") || !strings.Contains(posts[1].Post.Text, "Another one") {
		t.Fatalf("posts = %+v", posts)
	}
}

// TestProcessedFolder moves handled mail out of the inbox.
func TestProcessedFolder(t *testing.T) {
	r := newRig(t, rigOptions{imap: fakemail.IMAPOptions{Mailboxes: []string{"Threadline"}},
		configure: func(c *Config) { c.IMAP.ProcessedFolder = "Threadline" }})
	r.append(customerMail("a@example.net", "<a@example.net>", "Hello", "Body"))
	r.append(customerMail("b@example.net", "<b@example.net>", "Auto", "Away", "Auto-Submitted: auto-generated"))
	r.start()
	r.waitPosts(1)
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		inbox, _ := r.imap.Messages("INBOX")
		done, _ := r.imap.Messages("Threadline")
		return len(inbox) == 0 && len(done) == 2 && done[0].Seen()
	}, "both emails moved to the processed folder")
}

// TestSMTPFailures: a 4xx is retried until it goes through; a 5xx is
// dead-lettered and shown in the staff thread; a dropped connection is
// retried.
func TestSMTPFailures(t *testing.T) {
	r := newRig(t, rigOptions{smtp: fakemail.SMTPOptions{TLS: fakemail.TLSImplicit}})
	r.start()
	r.append(customerMail("eve@example.net", "<e1@example.net>", "Help", "Hello"))
	r.waitPosts(1)
	conv := r.conversations()[0].ID

	r.smtp.Fail(fakemail.Fault{Code: 451, Message: "try again later", Times: 2})
	r.reply(conv, "First answer", "s1")
	sent := r.waitSent(1)
	if r.smtp.Attempts() != 3 || !strings.Contains(string(sent[0].Data), "First answer") {
		t.Errorf("attempts = %d, want 3 (two 451s then success)", r.smtp.Attempts())
	}

	r.smtp.Fail(fakemail.Fault{Stage: "drop"})
	r.reply(conv, "Second answer", "s2")
	r.waitSent(2)

	r.smtp.Fail(fakemail.Fault{Stage: "rcpt", Code: 550, Message: "5.1.1 user unknown"})
	r.reply(conv, "Third answer", "s3")
	adaptertest.Eventually(t, 10*time.Second, func() bool {
		posts, _, _ := r.surf.Snapshot()
		for _, p := range posts {
			if p.Post.Direction == bridge.DirSystem && strings.Contains(p.Post.Text, "could not be delivered") && strings.Contains(p.Post.Text, "user unknown") {
				return true
			}
		}
		return false
	}, "a dead-letter notice in the staff thread")
	if n := len(r.smtp.Messages()); n != 2 {
		t.Errorf("%d messages accepted, want 2", n)
	}
	_, _, receipts := r.surf.Snapshot()
	var failed int
	for _, rc := range receipts {
		if !rc.OK {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("failed receipts = %d, want 1: %+v", failed, receipts)
	}
}

// TestAttachmentsInAndOut: inbound attachments are stored under the
// attachments directory (over-limit ones noted), and a staff attachment
// goes out as a MIME attachment.
func TestAttachmentsInAndOut(t *testing.T) {
	attDir := t.TempDir()
	r := newRig(t, rigOptions{attDir: attDir, configure: func(c *Config) { c.MaxAttachmentBytes = 1000 }})
	r.start()
	r.append("From: f@example.net\r\nTo: support@example.com\r\nSubject: Files\r\nMessage-ID: <f1@example.net>\r\n" +
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nSee files.\r\n" +
		"--x\r\nContent-Type: text/plain; name=\"../../evil.txt\"\r\nContent-Disposition: attachment; filename=\"../../evil.txt\"\r\n\r\nsmall file\r\n" +
		"--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n" + strings.Repeat("B", 2000) + "\r\n--x--\r\n")
	posts := r.waitPosts(1)
	p := posts[0].Post
	if len(p.Attachments) != 1 || p.Attachments[0].Name != "evil.txt" {
		t.Fatalf("attachments = %+v", p.Attachments)
	}
	path := p.Attachments[0].Path
	if rel, err := filepath.Rel(attDir, path); err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("stored outside the attachments dir: %s", path)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "small file" {
		t.Fatalf("stored file: %q %v", data, err)
	}
	if !strings.Contains(p.Text, `[Attachment "big.bin" (1 KB) was not stored: over the 1000 bytes limit]`) {
		t.Errorf("text = %q", p.Text)
	}

	out := filepath.Join(t.TempDir(), "invoice.pdf")
	os.WriteFile(out, []byte("%PDF-1.4 invoice"), 0o600)
	conv := r.conversations()[0].ID
	if _, err := r.eng.Reply(t.Context(), engine.StaffContext{Conversation: conv, Actor: bridge.Actor{ID: "console:bo", Name: "Bo"}, Surface: "console"},
		"Here is your invoice.", []bridge.Attachment{{Name: "invoice.pdf", MIME: "application/pdf", Path: out}}); err != nil {
		t.Fatal(err)
	}
	sent := r.waitSent(1)
	got, _ := Parse(sent[0].Data, Limits{})
	if len(got.Attachments) != 1 || got.Attachments[0].Name != "invoice.pdf" || string(got.Attachments[0].Data) != "%PDF-1.4 invoice" {
		t.Errorf("sent attachments = %+v", got.Attachments)
	}
}

// TestSharedCorpusThroughIMAP runs the shared real-world corpus through the
// whole inbound path: every customer mail opens a conversation, no
// automatic mail does, and nothing is sent.
func TestSharedCorpusThroughIMAP(t *testing.T) {
	dir := sharedCorpus(t)
	if dir == "" {
		t.Skip("../shared/email-corpus not present")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	r := newRig(t, rigOptions{})
	want := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.imap.Append("", raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if strings.HasPrefix(filepath.Base(f), "n") {
			want++
		}
	}
	start := time.Now()
	r.start()
	r.waitPosts(want)
	adaptertest.Eventually(t, 10*time.Second, r.allSeen, "all corpus mail seen")
	t.Logf("%d emails ingested in %s", len(files), time.Since(start).Round(time.Millisecond))
	if n := len(r.conversations()); n != want {
		t.Errorf("%d conversations, want %d", n, want)
	}
	if n := len(r.smtp.Messages()); n != 0 {
		t.Errorf("%d emails sent, want none", n)
	}
}

// TestTooLargeEmail: an email over max_message_bytes is not downloaded;
// staff get the sender and subject with a note.
func TestTooLargeEmail(t *testing.T) {
	r := newRig(t, rigOptions{configure: func(c *Config) { c.MaxMessageBytes = 2000 }})
	r.append(customerMail("big@example.net", "<big@example.net>", "Huge video", strings.Repeat("x", 5000)))
	r.start()
	p := r.waitPosts(1)[0].Post
	if !strings.Contains(p.Text, "over the 1 KB limit") || strings.Contains(p.Text, "xxxx") {
		t.Errorf("text = %q", p.Text)
	}
}
