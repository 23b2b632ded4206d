package contract

// This file lists what the adapters use that a stored description
// predates. Each entry was checked by hand against the platform's method
// page named in it; the parameters are the page's arguments. An entry the
// description gains later is refused by TestNewerListsOnlyWhatTheDescriptionLacks,
// so the list only ever holds what the description cannot check.

// SlackNewerList is what Slack added to the Web API after its 2021
// OpenAPI description.
type SlackNewerList struct {
	// Methods absent from the description.
	Methods map[string]SlackMethod
	// Params added to methods the description has, by method.
	Params map[string]map[string]SlackParam
}

// SlackNewer returns the Slack methods and parameters checked by hand.
func SlackNewer() SlackNewerList {
	return SlackNewerList{
		Methods: map[string]SlackMethod{
			// Socket Mode (2021, after the description). The page lists
			// only token, which must be the app-level token in the
			// Authorization header ("passing it as a POST parameter will
			// result in an error"); its errors include insecure_request,
			// "The method was not called via a POST request".
			"apps.connections.open": {
				Page:        "https://api.slack.com/methods/apps.connections.open",
				Params:      map[string]SlackParam{},
				JSONBody:    true,
				HeaderToken: true,
				PostOnly:    true,
			},
			// Step 1 of the external upload that replaced files.upload
			// (2023). Arguments: token, filename and length (required),
			// alt_txt and snippet_type (optional).
			"files.getUploadURLExternal": {
				Page: "https://api.slack.com/methods/files.getUploadURLExternal",
				Params: map[string]SlackParam{
					"filename":     {Type: "string", Required: true},
					"length":       {Type: "integer", Required: true},
					"alt_txt":      {Type: "string"},
					"snippet_type": {Type: "string"},
				},
			},
			// Step 3 of the external upload. Arguments: token and files
			// (required: a JSON array of {"id", optional "title"}),
			// channel_id, channels (comma-separated ids), thread_ts,
			// initial_comment, and blocks (a JSON array of blocks; ignored
			// when initial_comment is given).
			"files.completeUploadExternal": {
				Page: "https://api.slack.com/methods/files.completeUploadExternal",
				Params: map[string]SlackParam{
					"files":           {Type: "string", Required: true, JSON: "array"},
					"channel_id":      {Type: "string"},
					"channels":        {Type: "string"},
					"thread_ts":       {Type: "string"},
					"initial_comment": {Type: "string"},
					"blocks":          {Type: "string", JSON: "blocks"},
				},
				JSONBody: true,
			},
		},
		Params: map[string]map[string]SlackParam{
			// Message metadata (2022): include_all_metadata, a boolean
			// ("Return all metadata associated with messages. Defaults
			// to false."); slack-go always sends it.
			"conversations.history": {
				"include_all_metadata": {Type: "boolean"},
			},
			"conversations.replies": {
				"include_all_metadata": {Type: "boolean"},
			},
		},
	}
}

// DiscordIgnored lists, by operation id, the top-level body members a
// library the adapters use sends although the description does not name
// them and Discord ignores them; each is checked by hand against the
// route's page. (Members sent with their zero value pass anyway.)
func DiscordIgnored() map[string][]string {
	return map[string][]string{
		// discordgo v0.29's MessageEdit has untagged ID and Channel
		// fields, so ChannelMessageEditComplex sends "ID" and "Channel"
		// (the message and channel ids, already in the path). The Edit
		// Message page (https://discord.com/developers/docs/resources/message#edit-message)
		// lists neither; Discord ignores unknown members.
		"update_message": {"ID", "Channel"},
	}
}
