package email

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Limits bound the work and memory Parse spends on one message.
type Limits struct {
	MaxAttachmentBytes int64 // larger attachments are listed, not kept (default 10 MB)
	MaxAttachments     int   // further attachments are listed, not kept (default 50)
	MaxTextBytes       int   // the text is cut beyond this (default 256 KB)
	MaxParts           int   // MIME parts read at most (default 500)
	MaxDepth           int   // multipart / message nesting (default 20)
	MaxHeaderBytes     int   // one header block (default 1 MB)
}

func (l Limits) withDefaults() Limits {
	if l.MaxAttachmentBytes <= 0 {
		l.MaxAttachmentBytes = 10 << 20
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = 50
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 256 << 10
	}
	if l.MaxParts <= 0 {
		l.MaxParts = 500
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 20
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 1 << 20
	}
	return l
}

// Address is a parsed mailbox.
type Address struct {
	Name  string
	Email string // lower-cased
}

// AutoKind classifies mail no human wrote to us.
type AutoKind string

const (
	AutoNone   AutoKind = ""
	AutoReply  AutoKind = "auto-reply" // vacation / autoresponder (Auto-Submitted, X-Autoreply)
	AutoBulk   AutoKind = "bulk"       // Precedence bulk/junk/list
	AutoBounce AutoKind = "bounce"     // DSN, null sender, MAILER-DAEMON
	AutoReport AutoKind = "report"     // other multipart/report (read receipts)
)

// Bounce is what a delivery status notification says.
type Bounce struct {
	OriginalMessageID string // the Message-ID of the mail that bounced, if found
	Recipient         string
	Action            string // failed, delayed, delivered, ...
	Status            string // e.g. 5.1.1
	Diagnostic        string
}

// Part is an attachment (or inline resource) of a message.
type Part struct {
	Name        string // sanitised file name
	ContentType string
	ContentID   string
	Inline      bool
	Size        int64
	Data        []byte // nil when Skipped
	Skipped     string // why the bytes were not kept (size or count limit)
}

// Parsed is an email as Threadline uses it.
type Parsed struct {
	MessageID            string   // with angle brackets
	MessageIDSynthesized bool     // the message had none; MessageID is derived from its bytes
	InReplyTo            []string // with angle brackets
	References           []string // with angle brackets, oldest first
	From                 Address
	ReplyTo              []Address
	To, Cc               []Address
	DeliveredTo          []string // Delivered-To / X-Original-To / Envelope-To, lower-cased
	ReturnPath           string   // "" when absent; "<>" for the null sender
	Subject              string   // decoded, one line
	Date                 time.Time
	Text                 string // the body as text, quoted history and signature removed
	FullText             string // the body as text before removing quotes and signature
	FromHTML             bool   // the text was converted from HTML
	Attachments          []Part
	Auto                 AutoKind
	AutoReason           string
	Bounce               *Bounce
	Warnings             []string
}

// ThreadRefs returns References followed by In-Reply-To (newest last),
// without duplicates, at most 100.
func (p *Parsed) ThreadRefs() []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range [][]string{p.References, p.InReplyTo} {
		for _, id := range list {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	if len(out) > 100 {
		out = out[len(out)-100:]
	}
	return out
}

// ErrNotEmail is returned for input with no readable header.
var ErrNotEmail = errors.New("not an email: no header could be read")

// Parse reads a raw RFC 5322 message. It is lenient: broken MIME, unknown
// charsets and bad encodings degrade to best-effort text with Warnings; an
// error is returned only when there is no header at all.
func Parse(raw []byte, limits Limits) (Parsed, error) {
	p := &parser{lim: limits.withDefaults()}
	raw = stripMboxLine(raw)
	hdr, body, err := p.readHeader(raw)
	if err != nil {
		return Parsed{}, err
	}
	out := Parsed{}
	p.headers(&out, hdr)
	if out.MessageID == "" {
		sum := sha256.Sum256(raw)
		out.MessageID = "<" + hex.EncodeToString(sum[:16]) + syntheticSuffix + ">"
		out.MessageIDSynthesized = true
	}
	root := p.readNode(hdr, body, 0)
	p.walk(root, 0)
	p.finishText(&out)
	out.Attachments = p.atts
	p.detectAuto(&out, hdr)
	if out.Auto == AutoBounce && out.Bounce == nil {
		out.Bounce = &Bounce{}
	}
	if out.Bounce != nil {
		if p.bounce.OriginalMessageID == "" {
			p.bounce.OriginalMessageID = messageIDInText(out.FullText)
		}
		*out.Bounce = p.bounce
	}
	out.Warnings = p.warnings
	return out, nil
}

// syntheticSuffix marks Message-IDs Threadline made up for messages that had
// none; they are never put in outgoing References.
const syntheticSuffix = "@synthetic.threadline"

type parser struct {
	lim      Limits
	parts    int
	atts     []Part
	chunks   []chunk
	kept     int // attachments whose bytes were kept
	warnings []string
	bounce   Bounce
	isReport bool
}

type chunk struct {
	text     string
	fromHTML bool
}

func (p *parser) warn(format string, args ...any) {
	if len(p.warnings) < 20 {
		p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
	}
}

// stripMboxLine drops an mbox "From " envelope line some stores leave in.
func stripMboxLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// readHeader reads a header block; a message that starts with its body
// (no header) is an error.
func (p *parser) readHeader(raw []byte) (textproto.Header, []byte, error) {
	src := bytes.NewReader(raw)
	br := bufio.NewReader(io.LimitReader(src, int64(p.lim.MaxHeaderBytes)))
	h, err := textproto.ReadHeader(br)
	if err != nil && h.Len() == 0 {
		return h, nil, ErrNotEmail
	}
	if err != nil {
		p.warn("header: %v", shorten(err.Error(), 120))
	}
	consumed := len(raw) - src.Len() - br.Buffered()
	if consumed < 0 || consumed > len(raw) {
		consumed = len(raw)
	}
	return h, raw[consumed:], nil
}

// node is one MIME entity, its transfer encoding already undone.
type node struct {
	h           textproto.Header
	mediaType   string
	params      map[string]string
	disposition string
	dispParams  map[string]string
	body        []byte // decoded body (leaf parts)
	children    []*node
	message     *node // for message/rfc822: the embedded message
}

func (p *parser) readNode(h textproto.Header, body []byte, depth int) *node {
	n := &node{h: h}
	n.mediaType, n.params = parseParams(h.Get("Content-Type"))
	if n.mediaType == "" {
		n.mediaType = "text/plain"
	}
	if !strings.Contains(n.mediaType, "/") {
		p.warn("odd content type %q read as text/plain", shorten(n.mediaType, 40))
		n.mediaType = "text/plain"
	}
	n.disposition, n.dispParams = parseParams(h.Get("Content-Disposition"))
	p.parts++
	switch {
	case strings.HasPrefix(n.mediaType, "multipart/"):
		if depth >= p.lim.MaxDepth {
			p.warn("MIME nesting deeper than %d ignored", p.lim.MaxDepth)
			return n
		}
		p.readMultipart(n, body, depth)
	case n.mediaType == "message/rfc822" || n.mediaType == "message/global":
		n.body = decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
		if depth >= p.lim.MaxDepth || n.disposition == "attachment" {
			return n
		}
		inner, rest, err := p.readHeader(n.body)
		if err == nil {
			n.message = p.readNode(inner, rest, depth+1)
		}
	default:
		n.body = decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	}
	return n
}

func (p *parser) readMultipart(n *node, body []byte, depth int) {
	boundary := n.params["boundary"]
	if boundary == "" {
		p.warn("%s without boundary read as text", n.mediaType)
		n.mediaType = "text/plain"
		n.body = body
		return
	}
	mr := textproto.NewMultipartReader(bytes.NewReader(body), boundary)
	for {
		if p.parts >= p.lim.MaxParts {
			p.warn("more than %d MIME parts; the rest was ignored", p.lim.MaxParts)
			return
		}
		part, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			if len(n.children) == 0 {
				p.warn("multipart: %v", shorten(err.Error(), 100))
			}
			return
		}
		data, rerr := io.ReadAll(part)
		if rerr != nil {
			p.warn("multipart: part cut short: %v", shorten(rerr.Error(), 80))
		}
		n.children = append(n.children, p.readNode(part.Header, data, depth+1))
		if rerr != nil {
			return
		}
	}
}

// walk collects text chunks and attachments from a node.
func (p *parser) walk(n *node, depth int) {
	switch {
	case n.mediaType == "multipart/alternative":
		p.alternative(n, depth)
	case n.mediaType == "multipart/related":
		p.related(n, depth)
	case n.mediaType == "multipart/report":
		p.report(n, depth)
	case n.mediaType == "multipart/signed" || n.mediaType == "multipart/encrypted":
		for i, c := range n.children {
			if i > 0 && isSignature(c) {
				continue
			}
			p.mixedChild(c, depth)
		}
	case strings.HasPrefix(n.mediaType, "multipart/"):
		for _, c := range n.children {
			p.mixedChild(c, depth)
		}
	case n.message != nil:
		p.forwarded(n, depth)
	case isTextBody(n):
		p.text(n)
	default:
		p.attach(n, n.disposition == "inline")
	}
}

func (p *parser) mixedChild(c *node, depth int) {
	if c.disposition == "attachment" || (!isTextBody(c) && !strings.HasPrefix(c.mediaType, "multipart/") && c.message == nil) {
		if c.mediaType == "message/delivery-status" || isSignature(c) {
			return
		}
		p.attach(c, c.disposition == "inline")
		return
	}
	p.walk(c, depth+1)
}

func isTextBody(n *node) bool {
	if n.disposition == "attachment" {
		return false
	}
	switch n.mediaType {
	case "text/plain", "text/html", "text/enriched", "text/richtext":
		return true
	}
	return false
}

func isSignature(n *node) bool {
	switch n.mediaType {
	case "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature":
		return true
	}
	return false
}

// alternative keeps the best text version (plain text unless it is empty,
// else HTML) but every alternative's attachments, so a screenshot that
// only the HTML version shows is not lost.
func (p *parser) alternative(n *node, depth int) {
	type version struct {
		chunks []chunk
		html   bool
	}
	var versions []version
	outer := p.chunks
	for _, c := range n.children {
		p.chunks = nil
		p.walk(c, depth+1)
		v := version{chunks: p.chunks}
		for _, ch := range p.chunks {
			v.html = v.html || ch.fromHTML
		}
		versions = append(versions, v)
	}
	p.chunks = outer
	best := -1
	for i, v := range versions {
		if !v.html && hasText(v.chunks) {
			best = i
			break
		}
	}
	if best < 0 {
		for i := len(versions) - 1; i >= 0; i-- {
			if hasText(versions[i].chunks) {
				best = i
				break
			}
		}
	}
	if best >= 0 {
		p.chunks = append(p.chunks, versions[best].chunks...)
	}
}

func hasText(cs []chunk) bool {
	for _, c := range cs {
		if strings.TrimSpace(c.text) != "" {
			return true
		}
	}
	return false
}

// related shows the root part; the rest are inline resources.
func (p *parser) related(n *node, depth int) {
	if len(n.children) == 0 {
		return
	}
	root := 0
	if start := strings.Trim(n.params["start"], "<> "); start != "" {
		for i, c := range n.children {
			if strings.Trim(c.h.Get("Content-Id"), "<> ") == start {
				root = i
			}
		}
	}
	for i, c := range n.children {
		if i == root {
			p.walk(c, depth+1)
		} else if c.mediaType == "text/html" || c.mediaType == "text/plain" || strings.HasPrefix(c.mediaType, "multipart/") {
			p.mixedChild(c, depth)
		} else {
			p.attach(c, true)
		}
	}
}

// report handles multipart/report (DSNs, read receipts): the human part is
// the text; the status and the returned headers fill Bounce.
func (p *parser) report(n *node, depth int) {
	p.isReport = true
	for i, c := range n.children {
		switch {
		case i == 0:
			p.walk(c, depth+1)
		case c.mediaType == "message/delivery-status" || c.mediaType == "message/global-delivery-status":
			p.deliveryStatus(c.body)
		case c.mediaType == "message/rfc822" || c.mediaType == "message/global" || c.mediaType == "text/rfc822-headers" ||
			c.mediaType == "message/rfc822-headers" || c.mediaType == "message/global-headers":
			data := c.body
			if c.message != nil {
				p.bounce.OriginalMessageID = firstMsgID(c.message.h.Get("Message-Id"))
				continue
			}
			if h, _, err := p.readHeader(data); err == nil {
				p.bounce.OriginalMessageID = firstMsgID(h.Get("Message-Id"))
			}
		}
	}
}

func (p *parser) deliveryStatus(body []byte) {
	br := bufio.NewReader(bytes.NewReader(body))
	for range 50 {
		h, err := textproto.ReadHeader(br)
		if h.Len() > 0 {
			if v := h.Get("Final-Recipient"); v != "" && p.bounce.Recipient == "" {
				if _, addr, ok := strings.Cut(v, ";"); ok {
					v = addr
				}
				p.bounce.Recipient = strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
			}
			if v := h.Get("Action"); v != "" && p.bounce.Action == "" {
				p.bounce.Action = strings.ToLower(strings.TrimSpace(v))
			}
			if v := h.Get("Status"); v != "" && p.bounce.Status == "" {
				p.bounce.Status = oneLine(v, 20)
			}
			if v := h.Get("Diagnostic-Code"); v != "" && p.bounce.Diagnostic == "" {
				p.bounce.Diagnostic = oneLine(v, 300)
			}
		}
		if err != nil || h.Len() == 0 {
			return
		}
	}
}

// forwarded shows an embedded message/rfc822 inline, as mail clients do.
func (p *parser) forwarded(n *node, depth int) {
	h := n.message.h
	var b strings.Builder
	b.WriteString("---------- Forwarded message ----------\n")
	for _, k := range []string{"From", "Date", "Subject", "To"} {
		if v := decodeHeaderText(h.Get(k)); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, oneLine(v, 300))
		}
	}
	p.chunks = append(p.chunks, chunk{text: b.String()})
	p.walk(n.message, depth+1)
}

func (p *parser) text(n *node) {
	charset := n.params["charset"]
	isHTML := n.mediaType == "text/html"
	s, warn := decodeCharset(n.body, charset, isHTML)
	if warn != "" {
		p.warn("%s", warn)
	}
	if len(s) > 4*p.lim.MaxTextBytes {
		s = s[:4*p.lim.MaxTextBytes]
	}
	switch {
	case isHTML:
		p.chunks = append(p.chunks, chunk{text: htmlToText(s), fromHTML: true})
	case n.mediaType == "text/enriched" || n.mediaType == "text/richtext":
		p.chunks = append(p.chunks, chunk{text: stripEnriched(s)})
	default:
		if strings.EqualFold(n.params["format"], "flowed") {
			s = unflow(s, strings.EqualFold(n.params["delsp"], "yes"))
		}
		p.chunks = append(p.chunks, chunk{text: s})
	}
}

func (p *parser) attach(n *node, inline bool) {
	name := n.dispParams["filename"]
	if name == "" {
		name = n.params["name"]
	}
	name = decodeHeaderText(name)
	if name == "" && n.message != nil {
		if s := decodeHeaderText(n.message.h.Get("Subject")); s != "" {
			name = s + ".eml"
		}
	}
	if name == "" && (n.mediaType == "message/rfc822" || n.mediaType == "message/global") {
		name = "message.eml"
	}
	part := Part{
		Name:        SanitizeFilename(name, n.mediaType),
		ContentType: n.mediaType,
		ContentID:   strings.Trim(strings.TrimSpace(n.h.Get("Content-Id")), "<>"),
		Inline:      inline,
		Size:        int64(len(n.body)),
	}
	switch {
	case part.Size > p.lim.MaxAttachmentBytes:
		part.Skipped = fmt.Sprintf("over the %s limit", formatSize(p.lim.MaxAttachmentBytes))
	case p.kept >= p.lim.MaxAttachments:
		part.Skipped = fmt.Sprintf("more than %d attachments", p.lim.MaxAttachments)
	default:
		part.Data = n.body
		p.kept++
	}
	if len(p.atts) < 4*p.lim.MaxAttachments {
		p.atts = append(p.atts, part)
	}
}

// finishText joins the chunks, normalises whitespace, removes quoted
// history and signatures from replies, and applies the size limit.
func (p *parser) finishText(out *Parsed) {
	var parts []string
	for _, c := range p.chunks {
		t := normalizeText(c.text)
		if t != "" {
			parts = append(parts, t)
		}
		out.FromHTML = out.FromHTML || c.fromHTML
	}
	full := strings.Join(parts, "\n\n")
	full = clipText(full, p.lim.MaxTextBytes)
	out.FullText = full
	out.Text = full
	if (len(out.InReplyTo) > 0 || len(out.References) > 0) && !isForward(out.Subject) {
		if s := StripQuotes(full); strings.TrimSpace(s) != "" {
			out.Text = s
		}
	}
}

var forwardSubject = regexp.MustCompile(`(?i)^\s*(\[[^\]]*\]\s*)?(fwd?|wg|tr|rv|fw)\s*:`)

// isForward: a forwarded mail is all content; nothing in it is "history".
func isForward(subject string) bool { return forwardSubject.MatchString(subject) }

func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut < len(s) && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "\n[text cut: the email was longer]"
}

func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		v := float64(n) / (1 << 20)
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d MB", int64(v))
		}
		return fmt.Sprintf("%.1f MB", v)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func shorten(s string, max int) string {
	s = oneLine(s, max)
	return s
}
