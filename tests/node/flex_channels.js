// twilio-node against a served fake: node flex_channels.js BASE_URL ACCOUNT_SID AUTH_TOKEN FLOW_SID
// Prints one JSON object of what each step saw; tests/test_node.py checks it.
const twilio = require("twilio");

const [base, accountSid, authToken, flowSid] = process.argv.slice(2);

// The helper library's documented seam: its own RequestClient, sending Flex requests to the
// server on a kept-alive connection.
class ToServer extends twilio.RequestClient {
  request(opts) {
    return super.request({ ...opts, uri: opts.uri.replace("https://flex-api.twilio.com", base) });
  }
}

async function refused(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return { status: error.status, code: error.code, message: error.message };
  }
}

async function main() {
  const httpClient = new ToServer({ keepAlive: true });
  const client = twilio(accountSid, authToken, { httpClient });
  const channels = client.flexApi.v1.channel;
  const made = [];
  for (let i = 0; i < 5; i++) {
    made.push(
      await channels.create({
        flexFlowSid: flowSid,
        identity: `node-${i}`,
        chatUserFriendlyName: "Node",
        chatFriendlyName: "Chat",
      })
    );
  }
  const again = await channels.create({
    flexFlowSid: flowSid,
    identity: "node-0",
    chatUserFriendlyName: "Node",
    chatFriendlyName: "Chat",
  });
  const fetched = await channels(made[1].sid).fetch();
  const listed = await channels.list({ pageSize: 2 });
  const deleted = await channels(made[0].sid).remove();
  const wrongToken = twilio(accountSid, "0".repeat(32), { httpClient });
  const result = {
    made: made.map((c) => c.sid),
    again: again.sid,
    fetched: { sid: fetched.sid, userSid: fetched.userSid, url: fetched.url },
    listed: listed.map((c) => c.sid),
    deleted,
    notFound: await refused(() => channels(made[0].sid).fetch()),
    badRequest: await refused(() =>
      channels.create({
        flexFlowSid: "nope",
        identity: "x",
        chatUserFriendlyName: "x",
        chatFriendlyName: "x",
      })
    ),
    unauthorized: await refused(() => wrongToken.flexApi.v1.channel.list()),
  };
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
