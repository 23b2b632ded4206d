package email

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threadlinehq/threadline/adapters/adaptertest"
	"github.com/threadlinehq/threadline/bridge"
)

func continuationFixture() bridge.Continuation {
	return bridge.Continuation{Conversation: 42, To: "Anna.Li@Customer.example", Name: "Anna Li", Subject: "My parcel never arrived",
		Replies: []bridge.Message{
			{ID: 7, Direction: bridge.DirStaff, Author: "Sam", Body: "Sorry to hear that! I'm checking with the courier."},
			{ID: 9, Direction: bridge.DirStaff, Author: "Sam", Body: "Found it: it arrives **tomorrow**.\n\n<b>not markup</b>",
				Attachments: []bridge.Attachment{{Name: "tracking.pdf", Path: "/data/attachments/x.pdf"}}},
		},
		Link:       "https://support.example.com/chat/continue?tl_resume=r1.abc.123.sig",
		References: []string{"<threadline.chat.42.aaaaaaaaaaaa0123456789abcdef@example.com>", "<a1@customer.example>"}}
}

// TestContinuationGolden pins the email a web chat visitor gets for
// replies they did not see.
func TestContinuationGolden(t *testing.T) {
	a := testAdapter(t, func(c *Config) { c.PlusAddressing = true })
	c := continuationFixture()
	o, err := a.composeContinuation(c, bytes.Repeat([]byte{0xab}, 6))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := o.render()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(string(raw), "\r\n", "\n")
	golden := filepath.Join("testdata", "continuation.golden")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	} else if want, err := os.ReadFile(golden); err != nil {
		t.Fatalf("%v (run with -update)", err)
	} else if got != string(want) {
		t.Errorf("continuation differs from %s:\n%s", golden, got)
	}
	p, err := Parse(raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case p.From.Email != "support@example.com" || len(p.To) != 1 || p.To[0].Email != "anna.li@customer.example":
		t.Errorf("from %v to %v", p.From, p.To)
	case p.Subject != "Re: My parcel never arrived [#42]":
		t.Errorf("subject %q", p.Subject)
	case strings.Join(p.InReplyTo, "") != "<a1@customer.example>" || len(p.References) != 2:
		t.Errorf("threading: in-reply-to %v references %v", p.InReplyTo, p.References)
	case !strings.Contains(p.Text, "2 replies") || strings.Index(p.Text, "Sorry to hear") > strings.Index(p.Text, "Found it") ||
		!strings.Contains(p.Text, c.Link):
		t.Errorf("text:\n%s", p.Text)
	}
	if conv, ok := a.sign.parseChatMessageID(p.MessageID, "ANNA.LI@customer.example"); !ok || conv != 42 {
		t.Errorf("Message-ID %s not signed for the recipient", p.MessageID)
	}
	tok, _ := a.plusToken(p.ReplyTo[0].Email)
	if conv, ok := a.sign.parseChatPlusToken(tok, "anna.li@customer.example"); !ok || conv != 42 {
		t.Errorf("Reply-To %s not signed for the recipient", p.ReplyTo[0].Email)
	}
}

// TestContinuationTokensOnlyWorkForTheirRecipient: the signed Reply-To and
// Message-ID of a continuation name its conversation only for the address
// it was sent to; another sender, another conversation or a cut signature
// gets nothing, and same-channel tokens are not continuation tokens.
func TestContinuationTokensOnlyWorkForTheirRecipient(t *testing.T) {
	s := signer{key: testKey}
	tok := s.chatPlusToken(42, "anna@example.com")
	id := s.chatMessageID(42, bytes.Repeat([]byte{1}, 6), "anna@example.com", "example.com")
	for _, tc := range []struct {
		name, tok, id, sender string
		ok                    bool
	}{
		{"the recipient", tok, id, "anna@example.com", true},
		{"the recipient, other case", strings.ToUpper(tok[:1]) + tok[1:], id, "Anna@Example.COM", true},
		{"another sender", tok, id, "mallory@example.com", false},
		{"no sender", tok, id, "", false},
		{"another conversation", strings.Replace(tok, "c42.", "c43.", 1), strings.Replace(id, ".chat.42.", ".chat.43.", 1), "anna@example.com", false},
		{"a cut signature", tok[:len(tok)-2], strings.Replace(id, "@", "0@", 1)[:len(id)-3] + ">", "anna@example.com", false},
		{"same-channel tokens", s.plusToken(42), s.messageID(42, 7, bytes.Repeat([]byte{1}, 6), "example.com"), "anna@example.com", false},
	} {
		if conv, ok := s.parseChatPlusToken(tc.tok, tc.sender); ok != tc.ok || (ok && conv != 42) {
			t.Errorf("%s: plus token %q = %v, %v", tc.name, tc.tok, conv, ok)
		}
		if conv, ok := s.parseChatMessageID(tc.id, tc.sender); ok != tc.ok || (ok && conv != 42) {
			t.Errorf("%s: Message-ID %q = %v, %v", tc.name, tc.id, conv, ok)
		}
	}
}

// TestContinuationAnswerJoinsTheWebChatConversation: the visitor answers
// the email of their unseen replies; the answer lands in the web chat
// conversation (stored as an email message), while the same answer from
// anyone else, or one that only carries "[#id]", opens an email
// conversation of its own. A bounce of the email is noted in the chat's
// conversation.
func TestContinuationAnswerJoinsTheWebChatConversation(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	web, err := r.eng.Deliver(ctx, bridge.InboundMessage{Channel: "webchat", Address: "visitor-1", Name: "Anna", Email: "anna@customer.example", Text: "My parcel never arrived"})
	if err != nil {
		t.Fatal(err)
	}
	reply := bridge.Message{Conversation: web.Conversation, Direction: bridge.DirStaff, AuthorID: "console:sam", Author: "Sam", Body: "It arrives tomorrow.", CreatedAt: time.Now()}
	if err := r.st.Write(ctx, func(tx bridge.Tx) error { return tx.InsertMessage(&reply, 0) }); err != nil {
		t.Fatal(err)
	}
	ref, err := r.ad.Continue(ctx, bridge.Continuation{Conversation: web.Conversation, To: "anna@customer.example", Name: "Anna",
		Subject: "My parcel never arrived", Replies: []bridge.Message{reply}, Link: "https://support.example.com/chat/continue?tl_resume=x"})
	if err != nil {
		t.Fatal(err)
	}
	sent := r.waitSent(1)
	out, err := Parse(sent[0].Data, Limits{})
	if err != nil || out.MessageID != ref.ID || ref.Platform != Platform {
		t.Fatalf("sent %q (%v), ref %v", out.MessageID, err, ref)
	}
	if sent[0].To[0] != "anna@customer.example" || !strings.Contains(out.Text, "It arrives tomorrow.") {
		t.Errorf("sent to %v:\n%s", sent[0].To, out.Text)
	}
	replyTo := out.ReplyTo[0].Email
	r.start()

	// Someone the visitor forwarded it to answers: their own conversation.
	r.append(customerMail("mallory@other.example", "<m1@other.example>", "Re: "+out.Subject, "Me too!",
		"In-Reply-To: "+ref.ID, "References: "+ref.ID))
	// The visitor's client kept only the subject: "[#id]" is not signed, so
	// it does not reach into the chat either.
	r.append(customerMail("anna@customer.example", "<a0@customer.example>", "Re: "+out.Subject, "Subject only"))
	// The chat's first message is posted when the outbox starts, the
	// two emails' as they are read: the order across conversations is
	// not fixed, so posts are told apart by text.
	posts := r.waitPosts(3)
	for _, p := range posts {
		if p.Conv == web.Conversation && p.Post.Text != "My parcel never arrived" {
			t.Errorf("%q joined the web chat conversation", p.Post.Text)
		}
	}
	// The visitor answers the email.
	r.append(strings.Replace(customerMail("Anna <anna@customer.example>", "<a1@customer.example>", "Re: "+out.Subject,
		"Thanks, I'll be home.\r\n\r\nOn Mon, Support wrote:\r\n> It arrives tomorrow.", "In-Reply-To: "+ref.ID, "References: "+ref.ID),
		"To: support@example.com", "To: "+replyTo, 1))
	posts = r.waitPosts(4)
	if posts[3].Conv != web.Conversation || posts[3].Post.Text != "Thanks, I'll be home." || posts[3].Post.Origin != "email" {
		t.Errorf("answer posted in %v as %q via %s; want it in the chat's conversation %v", posts[3].Conv, posts[3].Post.Text, posts[3].Post.Origin, web.Conversation)
	}
	c, _ := r.st.Conversation(ctx, web.Conversation)
	if c.Channel != "webchat" || c.Address != "visitor-1" {
		t.Errorf("conversation moved: %+v", c)
	}

	// Only plus addressing, no threading headers: the token is enough.
	r.append(strings.Replace(customerMail("anna@customer.example", "<a2@customer.example>", "Another thing", "And the invoice?"),
		"To: support@example.com", "To: "+replyTo, 1))
	posts = r.waitPosts(5)
	if posts[4].Conv != web.Conversation {
		t.Errorf("plus-addressed answer went to %v, want %v", posts[4].Conv, web.Conversation)
	}

	// A bounce of the continuation is noted in the chat's conversation.
	r.append("Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\nSubject: Undelivered Mail\r\n" +
		"Message-ID: <bounce-1@mx.customer.example>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n" +
		"Final-Recipient: rfc822; anna@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 no such user\r\n\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + ref.ID + "\r\n\r\n--b--\r\n")
	adaptertest.Eventually(t, 5*time.Second, func() bool {
		for _, m := range r.messages(web.Conversation) {
			if m.Direction == bridge.DirNote && strings.Contains(m.Body, "bounced for anna@customer.example") {
				return true
			}
		}
		return false
	}, "a bounce note in the chat's conversation")
	if n := len(r.conversations()); n != 3 {
		t.Errorf("%d conversations, want 3 (the chat, the forward's, the subject-only answer's)", n)
	}
}
