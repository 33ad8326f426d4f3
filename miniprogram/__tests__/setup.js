// miniprogram-simulate defines Component/Behavior; pages also see wx, getApp and requirePlugin.
const { mockWx } = require('./mockwx')

global.wx = mockWx()
global.getApp = () => global.__app
global.requirePlugin = () => {
  throw new Error('no plugin in tests unless a test provides one')
}
