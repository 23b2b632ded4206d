package fakemattermost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ActionResponse is what an integration answers a button click
// (model.PostActionIntegrationResponse).
type ActionResponse struct {
	Update        *Post  `json:"update"`
	EphemeralText string `json:"ephemeral_text"`
}

// CommandResponse is what a slash command's URL answers (model.CommandResponse).
type CommandResponse struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

var client = &http.Client{Timeout: 20 * time.Second}

// ClickButton is user clicking the button actionID on post: the server
// POSTs a PostActionIntegrationRequest (user, channel, team, post, the
// action's context) as JSON to the action's integration URL. The answer's
// ephemeral_text is shown to user only; an update replaces the post's
// message and props (keeping override_username and from_webhook). A
// non-200 answer is an error, as Mattermost reports it to the clicker.
func (s *Server) ClickButton(post, actionID, user string) (ActionResponse, error) {
	s.mu.Lock()
	p, ok := s.posts[post]
	if !ok || p.DeleteAt != 0 {
		s.mu.Unlock()
		return ActionResponse{}, fmt.Errorf("no post %s", post)
	}
	c := clonePost(p)
	ch := s.channels[p.ChannelID]
	u := s.users[user]
	s.mu.Unlock()
	if !actionRE.MatchString(actionID) {
		return ActionResponse{}, fmt.Errorf("action id %q cannot be routed (/posts/{post_id}/actions/{action_id:[A-Za-z0-9]+})", actionID)
	}
	var act *Action
	for _, a := range c.Attachments() {
		for i := range a.Actions {
			if a.Actions[i].ID == actionID {
				act = &a.Actions[i]
			}
		}
	}
	if act == nil {
		return ActionResponse{}, fmt.Errorf("post %s has no button %q", post, actionID)
	}
	req := map[string]any{"user_id": user, "channel_id": c.ChannelID, "team_id": s.team, "post_id": post,
		"trigger_id": NewID(), "type": "", "data_source": "", "context": act.Integration.Context}
	if u != nil {
		req["user_name"] = u.Username
	}
	if ch != nil {
		req["channel_name"], req["team_domain"] = ch.Name, "team"
	}
	var resp ActionResponse
	if err := s.postJSON(act.Integration.URL, req, &resp); err != nil {
		return ActionResponse{}, err
	}
	root := c.RootID
	if root == "" {
		root = c.ID
	}
	s.mu.Lock()
	if resp.EphemeralText != "" {
		s.ephemerals = append(s.ephemerals, Ephemeral{UserID: user, ChannelID: c.ChannelID, RootID: root, Text: resp.EphemeralText})
	}
	var edited *Post
	if resp.Update != nil {
		q := s.posts[post]
		kept := map[string]any{}
		for _, k := range []string{"from_webhook", "override_username", "override_icon_url"} {
			if v, ok := q.Props[k]; ok {
				kept[k] = v
			}
		}
		q.Message, q.Props = resp.Update.Message, resp.Update.Props
		if q.Props == nil {
			q.Props = map[string]any{}
		}
		for k, v := range kept {
			q.Props[k] = v
		}
		q.UpdateAt = s.millis()
		e := clonePost(q)
		edited = &e
	}
	s.mu.Unlock()
	if edited != nil {
		s.broadcast(edited.ChannelID, "post_edited", *edited)
	}
	return resp, nil
}

// PostAction sends req as a button click would, to url (tests of forged
// or altered clicks); it returns the HTTP status and the body.
func (s *Server) PostAction(url string, req map[string]any) (int, string, error) {
	b, _ := json.Marshal(req)
	res, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, string(body), nil
}

func (s *Server) postJSON(url string, in, out any) error {
	b, _ := json.Marshal(in)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("integration request: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("integration answered %s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("integration answer is not JSON: %w", err)
	}
	return nil
}

// RunCommand is user typing text ("/ticket list") in channel: the
// registered command's URL gets the documented form (channel_id,
// channel_name, command, response_url, team_domain, team_id, text, token,
// trigger_id, user_id, user_name) with "Authorization: Token <token>".
// An ephemeral answer (the default) is shown to user only.
func (s *Server) RunCommand(channel, user, text string) (CommandResponse, error) {
	trigger, _, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	s.mu.Lock()
	cmd, ok := s.commands[trigger]
	s.mu.Unlock()
	if !ok {
		return CommandResponse{}, fmt.Errorf("no command /%s registered", trigger)
	}
	return s.RunCommandWithToken(channel, user, text, cmd.token)
}

// RunCommandWithToken is RunCommand sending token (tests of forged requests).
func (s *Server) RunCommandWithToken(channel, user, text, token string) (CommandResponse, error) {
	trigger, rest, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	s.mu.Lock()
	cmd, ok := s.commands[trigger]
	ch := s.channels[channel]
	u := s.users[user]
	s.mu.Unlock()
	if !ok {
		return CommandResponse{}, fmt.Errorf("no command /%s registered", trigger)
	}
	form := url.Values{"channel_id": {channel}, "command": {"/" + trigger}, "response_url": {s.srv.URL + "/hooks/commands/" + NewID()},
		"team_domain": {"team"}, "team_id": {s.team}, "text": {strings.TrimSpace(rest)}, "token": {token},
		"trigger_id": {NewID()}, "user_id": {user}}
	if ch != nil {
		form.Set("channel_name", ch.Name)
	}
	if u != nil {
		form.Set("user_name", u.Username)
	}
	req, err := http.NewRequest(http.MethodPost, cmd.url, strings.NewReader(form.Encode()))
	if err != nil {
		return CommandResponse{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Token "+token)
	res, err := client.Do(req)
	if err != nil {
		return CommandResponse{}, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return CommandResponse{}, fmt.Errorf("command answered %s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	var out CommandResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return CommandResponse{}, fmt.Errorf("command answer is not JSON: %w", err)
	}
	if out.ResponseType != "in_channel" && out.Text != "" {
		s.mu.Lock()
		s.ephemerals = append(s.ephemerals, Ephemeral{UserID: user, ChannelID: channel, Text: out.Text})
		s.mu.Unlock()
	}
	return out, nil
}
