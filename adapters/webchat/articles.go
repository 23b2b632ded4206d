package webchat

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/threadlinehq/threadline/bridge/answers"
)

// Deflection: while a visitor types their first message, the widget asks
// for knowledge-base articles that answer it and offers them above the
// input; the visitor says whether one helped, or writes to staff all the
// same, and the widget reports which. Only this server is asked: the
// articles' text comes from it, and a link to an article's page opens
// only when the visitor clicks it.

// Articles is the knowledge base as the widget uses it (Options.Articles).
type Articles interface {
	// Offer lists the articles that answer question, at most n, in lang
	// or in no particular language; none when nothing matches well.
	Offer(question, lang string, n int) []Article
	// Record records that an article helped the visitor (helped), or
	// that they were offered articles and wrote to staff anyway. An
	// article the knowledge base does not have is ErrUnknownArticle.
	Record(ctx context.Context, slug string, helped bool) error
}

// ErrUnknownArticle is Articles.Record's answer for a slug it does not know.
var ErrUnknownArticle = answers.ErrUnknownArticle

// KnowledgeBase offers the articles of the answers knowledge base.
func KnowledgeBase(d *answers.Deflection) Articles { return kbArticles{d} }

type kbArticles struct{ d *answers.Deflection }

func (k kbArticles) Offer(question, lang string, n int) []Article {
	var out []Article
	for _, h := range k.d.Offer(question, lang, n) {
		out = append(out, Article{Slug: h.Slug, Title: h.Title, Text: answers.PlainText(h.Body), URL: h.URL})
	}
	return out
}

func (k kbArticles) Record(ctx context.Context, slug string, helped bool) error {
	return k.d.Record(ctx, slug, helped)
}

// Article is an article as the widget shows it.
type Article struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
	Text  string `json:"text"`          // plain text, shown as text
	URL   string `json:"url,omitempty"` // its page, if it is published
}

const (
	// maxOffered is how many articles the widget shows at most.
	maxOffered = 3
	// maxQueryChars bounds what is searched: the start of a message.
	maxQueryChars = 500
	// maxArticleChars bounds an article's text in the widget (its page,
	// if it has one, holds the rest).
	maxArticleChars = 4000
	// articlesPerMinute is how many searches and answers a visitor may
	// send: enough for a fast typist, whose widget asks after each pause.
	articlesPerMinute = 60
)

// articlesOn reports whether the widget offers articles.
func (a *Adapter) articlesOn() bool { return a.opts.Articles != nil }

// articles answers GET /chat/api/articles?q=...&lang=...: the articles
// for what the visitor has typed so far.
func (a *Adapter) articles(w http.ResponseWriter, r *http.Request) {
	if aerr := a.articleRequest(r); aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	text := q.Get("q")
	if !utf8.ValidString(text) {
		writeError(w, errorf(http.StatusBadRequest, "bad_utf8", "q must be valid UTF-8"))
		return
	}
	if runes := []rune(text); len(runes) > maxQueryChars {
		text = string(runes[:maxQueryChars])
	}
	lang := strings.ToLower(strings.TrimSpace(q.Get("lang")))
	if len(lang) > 16 {
		lang = ""
	}
	out := a.opts.Articles.Offer(text, lang, maxOffered)
	if out == nil {
		out = []Article{}
	}
	for i := range out {
		if runes := []rune(out[i].Text); len(runes) > maxArticleChars {
			out[i].Text = strings.TrimSpace(string(runes[:maxArticleChars-1])) + "…"
		}
		if !strings.HasPrefix(out[i].URL, "https://") && !strings.HasPrefix(out[i].URL, "http://") {
			out[i].URL = ""
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"articles": out})
}

// articleFeedback answers POST /chat/api/articles/feedback {"slug",
// "helped"}: an article helped, or the visitor wrote anyway.
func (a *Adapter) articleFeedback(w http.ResponseWriter, r *http.Request) {
	if aerr := a.articleRequest(r); aerr != nil {
		writeError(w, aerr)
		return
	}
	var req struct {
		Slug   string `json:"slug"`
		Helped bool   `json:"helped"`
	}
	if err := decodeJSON(r, &req, false); err != nil {
		writeError(w, err)
		return
	}
	if req.Slug == "" || len(req.Slug) > 200 || !utf8.ValidString(req.Slug) {
		writeError(w, errorf(http.StatusBadRequest, "bad_slug", "slug must name an article offered"))
		return
	}
	err := a.opts.Articles.Record(r.Context(), req.Slug, req.Helped)
	switch {
	case errors.Is(err, ErrUnknownArticle):
		writeError(w, errorf(http.StatusBadRequest, "bad_slug", "no such article: %s", req.Slug))
		return
	case err != nil:
		a.log.Error("webchat: recording an article's answer", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "unavailable", "not recorded; try again"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// articleRequest checks a deflection request: articles on, a visitor
// token, within the visitor's rate.
func (a *Adapter) articleRequest(r *http.Request) *apiError {
	if !a.articlesOn() {
		return errorf(http.StatusNotFound, "no_articles", "this chat offers no articles (answers.kb_dir is not set, or answers.deflection is off)")
	}
	v, aerr := a.visitor(r)
	if aerr != nil {
		return aerr
	}
	if ok, wait := a.searches.allow(v, a.now()); !ok {
		return rateLimited(wait, "too many article searches")
	}
	return nil
}
