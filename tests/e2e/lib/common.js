// What the proxy and gateway fixtures (harness.js, gateway-harness.js) and the mocks share.

// unref: the timer does not keep the process alive (a mock's scripted stall must not outlive
// the test that scripted it).
export const sleep = (ms, { unref = false } = {}) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (unref) timer.unref();
  });

// The text of a message content: a string, or the text parts of an array (OpenAI message
// content, Anthropic tool_result content).
export function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((part) => part.type === 'text').map((part) => part.text).join('');
  return '';
}
