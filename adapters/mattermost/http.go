package mattermost

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/adapters/internal/slashcmd"
	"github.com/threadlinehq/threadline/bridge"
)

// maxRequest bounds the body of a button click or slash command.
const maxRequest = 64 << 10

// actionRequest is what Mattermost POSTs to a button's integration URL
// (model.PostActionIntegrationRequest).
type actionRequest struct {
	UserID    string         `json:"user_id"`
	UserName  string         `json:"user_name"`
	ChannelID string         `json:"channel_id"`
	TeamID    string         `json:"team_id"`
	PostID    string         `json:"post_id"`
	TriggerID string         `json:"trigger_id"`
	Type      string         `json:"type"`
	Context   map[string]any `json:"context"`
}

// actionResponse is the answer (model.PostActionIntegrationResponse):
// EphemeralText is shown to the clicker only.
type actionResponse struct {
	EphemeralText    string `json:"ephemeral_text,omitempty"`
	SkipSlackParsing bool   `json:"skip_slack_parsing,omitempty"`
}

// slashResponse is the answer to a slash command (model.CommandResponse).
type slashResponse struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// Handler serves the endpoints Mattermost calls on the public listener:
// ActionsPath (card buttons: each click's context must carry the
// signature the card was posted with, else 401 and nothing happens) and
// CommandPath (the slash command: its token must match command_token,
// else 401).
func (s *Surface) Handler(in bridge.StaffInbox) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ActionsPath, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		var req actionRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad action request", http.StatusBadRequest)
			return
		}
		act, _ := req.Context["action"].(string)
		convText, _ := req.Context["conversation"].(string)
		sig, _ := req.Context["sig"].(string)
		conv, convErr := bridge.ParseConversationID(convText)
		if convErr != nil || !s.sign.verify(act, conv, sig) {
			http.Error(w, "the button's signature does not match", http.StatusUnauthorized)
			return
		}
		if !IsID(req.UserID) || !knownAction(act) {
			http.Error(w, "bad action request", http.StatusBadRequest)
			return
		}
		text, err := s.click(r, in, req, act, conv)
		if err != nil {
			s.log.Error("mattermost: button click not handled", "action", act, "conversation", conv, "err", err)
			text = "⚠️ Threadline could not do that (internal error; see the daemon log). Try again."
		}
		writeJSON(w, actionResponse{EphemeralText: text, SkipSlackParsing: true})
	})
	mux.HandleFunc("POST "+CommandPath, func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.CommandToken == "" {
			http.Error(w, "the slash command is off: no mattermost.command_token configured", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if !s.commandToken(r.Header.Get("Authorization"), form.Get("token")) {
			http.Error(w, "the slash command's token does not match", http.StatusUnauthorized)
			return
		}
		if !IsID(form.Get("user_id")) {
			http.Error(w, "bad command request", http.StatusBadRequest)
			return
		}
		resp, err := s.slash(r, in, form)
		if err != nil {
			s.log.Error("mattermost: slash command not handled", "err", err)
			resp = slashResponse{ResponseType: "ephemeral", Text: "⚠️ Threadline could not do that (internal error; see the daemon log). Try again."}
		}
		writeJSON(w, resp)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// commandToken checks the token a slash command request carries: the
// form's token field, or "Authorization: Token <token>" (Mattermost sends
// both).
func (s *Surface) commandToken(header, field string) bool {
	want := []byte(s.cfg.CommandToken)
	ok := func(got string) bool { return got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1 }
	h, hasHeader := strings.CutPrefix(header, "Token ")
	return ok(field) || (hasHeader && ok(strings.TrimSpace(h)))
}

func knownAction(a string) bool {
	switch a {
	case actionClaim, actionRelease, actionClose, actionReopen, actionStatus:
		return true
	}
	return false
}

// click runs a verified button click as the command it stands for.
func (s *Surface) click(r *http.Request, in bridge.StaffInbox, req actionRequest, act string, conv bridge.ConversationID) (string, error) {
	ctx := r.Context()
	fb, err := in.HandleStaffMessage(ctx, bridge.StaffMessage{Surface: Platform, Conversation: conv,
		Actor: s.actor(ctx, req.UserID), Text: s.prefix + act})
	switch {
	case errors.Is(err, bridge.ErrUnknownConversation) || errors.Is(err, bridge.ErrNotFound):
		return "This card's conversation is not known to Threadline.", nil
	case err != nil:
		return "", err
	case fb.Error:
		return "🚫 " + neutralize(fb.Text), nil
	case fb.Text != "":
		return neutralize(fb.Text), nil
	}
	return "Done.", nil
}

// slash runs "/ticket list", "/ticket claim 142", "/ticket 142" ...
// Mattermost does not say which thread a slash command was typed in, so
// commands name the conversation; inside threads staff use !commands and
// the card buttons.
func (s *Surface) slash(r *http.Request, in bridge.StaffInbox, form url.Values) (slashResponse, error) {
	ctx := r.Context()
	reply := func(text string) slashResponse { return slashResponse{ResponseType: "ephemeral", Text: text} }
	usage := slashcmd.Usage(s.cfg.SlashCommand)
	text := form.Get("text")
	msg := bridge.StaffMessage{Surface: Platform, Actor: s.actor(ctx, form.Get("user_id")), Mentions: s.mentionMap(ctx, text)}
	var ok bool
	if msg.Conversation, msg.Text, ok = slashcmd.Parse(strings.Fields(text), s.prefix); !ok {
		return reply(usage), nil
	}
	fb, err := in.HandleStaffMessage(ctx, msg)
	if errors.Is(err, bridge.ErrUnknownConversation) || errors.Is(err, bridge.ErrNotFound) {
		return reply(usage), nil
	}
	if err != nil {
		return slashResponse{}, err
	}
	out := neutralize(fb.Text)
	if fb.Text == "" && fb.Message != 0 {
		out = "Stored as message " + strconv.FormatInt(int64(fb.Message), 10) + "."
	}
	if fb.Error {
		out = "🚫 " + out
	}
	if out == "" {
		out = "Done."
	}
	return reply(out), nil
}
