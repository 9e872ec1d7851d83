export { appendPublishScriptArgs, toPublishScriptArgs } from './scriptInputs.js'
export { type LuaScriptName, luaScripts } from './scripts.generated.js'
