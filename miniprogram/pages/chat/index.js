// 对话: the chat of /api/mp/chat (replies, buttons, sources, work orders), voice input through the WechatSI plugin
// (the recognised text is shown to be checked before it is sent), the shared location sent with every message,
// quick actions, and an operator's messages while a handoff is open (polling /api/mp/updates).
const config = require('../../config')

const QUICK = [
  { key: 'complaint', label: '投诉' },
  { key: 'orders', label: '查询' },
  { key: 'policies', label: '热点政策' },
  { key: 'human', label: '转人工' },
]
const TABS = { complaint: '/pages/complaint/index', orders: '/pages/orders/index', policies: '/pages/policies/index' }

let nextId = 1

function speech() {
  try {
    return requirePlugin('WechatSI').getRecordRecognitionManager()
  } catch (e) {
    return null // no plugin (not declared or not authorised for this AppID): typing still works
  }
}

Component({
  data: {
    messages: [],
    text: '',
    voiceDraft: '',
    recording: false,
    voiceAvailable: true,
    location: null,
    sending: false,
    error: '',
    handoff: null,
    quick: QUICK,
    scrollTo: '',
  },

  methods: {
    onLoad() {
      this.api = getApp().api
      this.lastUpdate = 0
      this.failedText = ''
      this.recognizer = speech()
      if (this.recognizer) {
        this.recognizer.onStop = (res) => this.onRecognized(res)
        this.recognizer.onError = () => {
          this.setData({ recording: false })
          wx.showToast({ title: '没听清，请再说一次', icon: 'none' })
        }
      }
      this.setData({ voiceAvailable: !!this.recognizer })
      this.push({ who: 'bot', text: '您好，这里是12328交通运输服务监督热线。请按住“按住说话”讲出您的问题，或点下方按钮。' })
      // the position, if the driver allows it, goes with every message (for local rules and where it happened)
      wx.getLocation({
        type: 'gcj02',
        success: (res) => this.setData({ location: { label: '', latitude: res.latitude, longitude: res.longitude } }),
        fail: () => {},
      })
    },

    onUnload() {
      this.stopPolling()
    },

    push(message) {
      const item = Object.assign({ id: nextId++, buttons: [], sources: [], order: null }, message)
      this.setData({ messages: this.data.messages.concat([item]), scrollTo: `m${item.id}` })
    },

    onInput(e) {
      this.setData({ text: e.detail.value })
    },

    onSendTap() {
      return this.send(this.data.text)
    },

    onButtonTap(e) {
      return this.send(e.currentTarget.dataset.payload)
    },

    onRetry() {
      return this.send(this.failedText)
    },

    async send(raw) {
      const text = String(raw || '').trim()
      if (!text || this.data.sending) return
      this.push({ who: 'me', text })
      this.setData({ text: '', voiceDraft: '', sending: true, error: '' })
      try {
        const answer = await this.api.chat(text, this.data.location)
        this.showAnswer(answer)
        this.failedText = ''
      } catch (error) {
        this.failedText = text
        this.setData({ error: error.message || '发送失败，请重试' })
      } finally {
        this.setData({ sending: false })
      }
    },

    showAnswer(answer) {
      const replies = answer.replies || []
      replies.forEach((reply, i) => {
        const last = i === replies.length - 1
        this.push({
          who: 'bot',
          text: reply.text,
          buttons: reply.buttons || [],
          sources: last ? answer.sources || [] : [],
          order: last ? answer.work_order || null : null,
        })
      })
      this.setData({ handoff: answer.handoff || null })
      if (answer.handoff) this.startPolling()
    },

    // --- voice (WechatSI 同声传译) -------------------------------------------------------------------
    onVoiceStart() {
      if (!this.recognizer) return
      this.setData({ recording: true })
      this.recognizer.start({ lang: 'zh_CN', duration: 60000 })
    },

    onVoiceEnd() {
      if (!this.recognizer || !this.data.recording) return
      this.recognizer.stop()
    },

    onRecognized(res) {
      const text = String((res && res.result) || '').trim()
      this.setData({ recording: false, voiceDraft: text })
      if (!text) wx.showToast({ title: '没听清，请再说一次', icon: 'none' })
    },

    onDraftInput(e) {
      this.setData({ voiceDraft: e.detail.value })
    },

    onDraftSend() {
      return this.send(this.data.voiceDraft)
    },

    onDraftCancel() {
      this.setData({ voiceDraft: '' })
    },

    // --- location -------------------------------------------------------------------------------------
    onChooseLocation() {
      wx.chooseLocation({
        success: (res) => {
          const label = [res.address, res.name].filter(Boolean).join(' ').slice(0, 200)
          this.setData({ location: { label, latitude: res.latitude, longitude: res.longitude } })
        },
        fail: () => {},
      })
    },

    // --- quick actions --------------------------------------------------------------------------------
    onQuick(e) {
      const key = e.currentTarget.dataset.key
      if (key === 'human') return this.send('转人工')
      wx.switchTab({ url: TABS[key] })
      return null
    },

    onOrderTap(e) {
      wx.navigateTo({ url: `/pages/orders/detail?number=${encodeURIComponent(e.currentTarget.dataset.number)}` })
    },

    // --- a person answers (handoff) -------------------------------------------------------------------
    startPolling() {
      if (this.timer) return
      this.timer = setInterval(() => this.poll(), config.updatesIntervalMs)
    },

    stopPolling() {
      if (this.timer) clearInterval(this.timer)
      this.timer = null
    },

    async poll() {
      let body
      try {
        body = await this.api.updates(this.lastUpdate)
      } catch (error) {
        return // the next tick tries again
      }
      ;(body.messages || []).forEach((m) => {
        this.lastUpdate = Math.max(this.lastUpdate, m.id)
        this.push({ who: m.who === 'operator' ? 'operator' : 'system', text: m.text, label: m.label })
      })
      this.setData({ handoff: body.handoff || null })
      if (!body.handoff) this.stopPolling()
    },
  },
})
