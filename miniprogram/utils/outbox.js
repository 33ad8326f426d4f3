// Submissions made without a network (or that the network broke) wait in storage and are sent when it returns
// (wx.onNetworkStatusChange in app.js). Each keeps its Idempotency-Key and how far it got, so sending again never
// files a second order nor uploads a photo twice.

const OUTBOX_KEY = 'hotline_outbox'
const SENT_KEY = 'hotline_outbox_sent'

function createOutbox(wx, api) {
  let flushing = null

  function list() {
    return wx.getStorageSync(OUTBOX_KEY) || []
  }

  function save(jobs) {
    wx.setStorageSync(OUTBOX_KEY, jobs)
  }

  function put(job) {
    const jobs = list().filter((j) => j.key !== job.key)
    jobs.push(job)
    save(jobs)
  }

  function remove(key) {
    save(list().filter((j) => j.key !== key))
  }

  // Send one submission now; kept in the outbox until it is through (or refused for good).
  async function send(job, onProgress) {
    put(job)
    try {
      const order = await api.submitComplaint(job, (progress) => {
        put(progress)
        if (onProgress) onProgress(progress)
      })
      remove(job.key)
      const sent = wx.getStorageSync(SENT_KEY) || []
      sent.unshift({ key: job.key, number: order.number, at: Date.now() })
      wx.setStorageSync(SENT_KEY, sent.slice(0, 20))
      return order
    } catch (error) {
      if (!error.retry) remove(job.key) // refused by the server (e.g. a photo it cannot take): the user is told
      throw error
    }
  }

  // Everything waiting, one after another; stops at the first that still cannot get through.
  function flush() {
    if (!flushing) {
      flushing = (async () => {
        const done = []
        for (const job of list()) {
          try {
            done.push(await send(job))
          } catch (error) {
            if (error.retry) break
          }
        }
        return done
      })().finally(() => {
        flushing = null
      })
    }
    return flushing
  }

  return { list, send, flush, remove }
}

module.exports = { createOutbox, OUTBOX_KEY, SENT_KEY }
