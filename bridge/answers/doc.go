// Package answers is answers from the team's own knowledge: suggestions
// of past staff answers (BM25 over closed conversations, masked), the
// knowledge base of Markdown articles, and optional AI drafts through an
// OpenAI-compatible endpoint that never reach a customer by themselves.
package answers
