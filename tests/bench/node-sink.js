// Node's smtp-server as a sink: accepts everything from loopback, keeps nothing.
const { SMTPServer } = require("smtp-server");
const port = parseInt(process.argv[2], 10);
const server = new SMTPServer({
  disableReverseLookup: true,
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => callback());
  },
});
server.listen(port, "127.0.0.1");
