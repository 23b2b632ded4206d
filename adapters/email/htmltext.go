package email

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders HTML as readable plain text: paragraphs and line
// breaks kept, lists bulleted, links as "text (url)", block quotes prefixed
// with "> ", scripts, styles and hidden parts dropped.
func htmlToText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return src
	}
	w := &textWriter{}
	w.node(doc, 0)
	w.flushLine()
	return strings.Join(w.lines, "\n")
}

type textWriter struct {
	lines   []string
	cur     strings.Builder
	quote   int  // blockquote depth
	pre     int  // inside <pre>
	space   bool // a space is pending before the next word
	listNum []int
}

const maxHTMLDepth = 200

func (w *textWriter) prefix() string {
	return strings.Repeat("> ", w.quote)
}

func (w *textWriter) flushLine() {
	line := strings.TrimRight(w.cur.String(), " ")
	w.cur.Reset()
	w.space = false
	if line == "" && w.quote == 0 {
		w.lines = append(w.lines, "")
		return
	}
	w.lines = append(w.lines, w.prefix()+line)
}

// breakLine ends the current line if it has text.
func (w *textWriter) breakLine() {
	if w.cur.Len() > 0 {
		w.flushLine()
	}
}

// paragraph ends the current line and leaves one blank line.
func (w *textWriter) paragraph() {
	w.breakLine()
	if n := len(w.lines); n > 0 && strings.TrimRight(w.lines[n-1], "> ") != "" {
		w.lines = append(w.lines, strings.TrimRight(w.prefix(), " "))
	}
}

func (w *textWriter) text(s string) {
	if w.pre > 0 {
		for i, l := range strings.Split(s, "\n") {
			if i > 0 {
				w.flushLine()
			}
			w.cur.WriteString(l)
		}
		return
	}
	for i, f := range strings.Fields(s) {
		if (i > 0 || w.space || startsWithSpace(s)) && w.cur.Len() > 0 {
			w.cur.WriteByte(' ')
		}
		w.cur.WriteString(f)
		w.space = false
	}
	if endsWithSpace(s) && w.cur.Len() > 0 {
		w.space = true
	}
}

func startsWithSpace(s string) bool {
	return s != "" && strings.ContainsRune(" \t\r\n\f", rune(s[0]))
}

func endsWithSpace(s string) bool {
	return s != "" && strings.ContainsRune(" \t\r\n\f", rune(s[len(s)-1]))
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hidden(n *html.Node) bool {
	st := strings.ToLower(strings.ReplaceAll(attr(n, "style"), " ", ""))
	return strings.Contains(st, "display:none") || attr(n, "hidden") != "" && n.DataAtom != atom.Input
}

func (w *textWriter) children(n *html.Node, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c, depth+1)
	}
}

func (w *textWriter) node(n *html.Node, depth int) {
	if depth > maxHTMLDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.DocumentNode:
		w.children(n, depth)
		return
	case html.ElementNode:
	default:
		return
	}
	if hidden(n) {
		return
	}
	switch n.DataAtom {
	case atom.Head, atom.Script, atom.Style, atom.Title, atom.Template, atom.Noscript, atom.Object, atom.Iframe, atom.Svg:
		return
	case atom.Br:
		w.flushLine()
	case atom.Hr:
		w.paragraph()
		w.cur.WriteString("---")
		w.paragraph()
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Ul, atom.Ol, atom.Dl:
		w.paragraph()
		if n.DataAtom == atom.Ol {
			w.listNum = append(w.listNum, 0)
		} else if n.DataAtom == atom.Ul {
			w.listNum = append(w.listNum, -1)
		}
		w.children(n, depth)
		if (n.DataAtom == atom.Ol || n.DataAtom == atom.Ul) && len(w.listNum) > 0 {
			w.listNum = w.listNum[:len(w.listNum)-1]
		}
		w.paragraph()
	case atom.Blockquote:
		w.paragraph()
		w.quote++
		w.children(n, depth)
		w.breakLine()
		w.quote--
		w.paragraph()
	case atom.Pre:
		w.paragraph()
		w.pre++
		w.children(n, depth)
		w.pre--
		w.paragraph()
	case atom.Li:
		w.breakLine()
		bullet := "- "
		if k := len(w.listNum); k > 0 && w.listNum[k-1] >= 0 {
			w.listNum[k-1]++
			bullet = strconv.Itoa(w.listNum[k-1]) + ". "
		}
		w.cur.WriteString(strings.Repeat("  ", max(len(w.listNum)-1, 0)) + bullet)
		w.children(n, depth)
		w.breakLine()
	case atom.Div, atom.Tr, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Dt, atom.Dd, atom.Center, atom.Address, atom.Form:
		w.breakLine()
		w.children(n, depth)
		w.breakLine()
	case atom.Td, atom.Th:
		if w.cur.Len() > 0 {
			w.cur.WriteByte(' ')
		}
		w.children(n, depth)
		w.space = true
	case atom.A:
		start := w.cur.Len()
		before := len(w.lines)
		w.children(n, depth)
		href := strings.TrimSpace(attr(n, "href"))
		label := ""
		if len(w.lines) == before && w.cur.Len() >= start {
			label = strings.TrimSpace(w.cur.String()[start:])
		}
		lower := strings.ToLower(href)
		switch {
		case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
			if label != href && strings.TrimSuffix(label, "/") != strings.TrimSuffix(href, "/") &&
				!strings.EqualFold(strings.TrimPrefix(strings.TrimPrefix(lower, "https://"), "http://"), strings.ToLower(label)) {
				if label == "" {
					w.text(href)
				} else {
					w.cur.WriteString(" (" + href + ")")
				}
			}
		case strings.HasPrefix(lower, "mailto:") && label == "":
			w.text(href[len("mailto:"):])
		}
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			w.text(" [" + alt + "] ")
		}
	default:
		w.children(n, depth)
	}
}
