"""zinv_tui.service"""
